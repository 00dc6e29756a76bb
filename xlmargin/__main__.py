"""``python -m xlmargin`` is the ``xlmargin`` command."""

from .cli import main

main()
