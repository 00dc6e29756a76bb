"""``python -m xlmargin`` is the ``xlmargin`` command."""

import sys


def main() -> None:
    """The ``xlmargin`` command; without the ``cli`` extra, one line saying to install it."""
    try:
        from .cli import main as command
    except ImportError as exc:
        if getattr(exc, "extra", None) is None:  # not a MissingExtraError: a real fault, shown in full
            raise
        print(f"xlmargin: failed: {exc}", file=sys.stderr)  # as the CLI says it for a command's missing extra
        sys.exit(1)
    command()


if __name__ == "__main__":
    main()
