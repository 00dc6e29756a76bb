"""Writing output files safely: atomically, all or nothing, and never over an existing file unless asked.

Each file is written to a hidden temporary file beside its target and moved into
place only when every file of the same call is complete. A failure, Ctrl-C or
SIGTERM while writing removes the temporary files, so no half-written file and
no part of a set of outputs is ever left under a final name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from .errors import Interrupted, OutputError, XlmarginError

Writer = Callable[[Path], None]


class OutputExistsError(XlmarginError, FileExistsError):
    """An output file exists already and overwriting it was not asked for."""


def write_atomically(path: str | os.PathLike[str], write: Writer, force: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    A reader never sees a half-written file and a failure leaves nothing
    behind. Raises :class:`OutputExistsError` if ``path`` exists and ``force``
    is false, :class:`~xlmargin.errors.OutputError` if it cannot be written.
    """
    return write_all_atomically({path: write}, force=force)[0]


def write_all_atomically(writes: Mapping[str | os.PathLike[str], Writer], force: bool = False) -> list[Path]:
    """Write several files all or nothing: each ``write(tmp)`` to a temporary file, then all moved into place.

    Nothing appears under a final name unless every writer succeeded. On any
    error, ``KeyboardInterrupt`` or SIGTERM (raised as
    :class:`~xlmargin.errors.Interrupted`) the temporary files are removed.

    Raises
    ------
    OutputExistsError
        If a target exists and ``force`` is false (before anything is written).
    xlmargin.errors.OutputError
        If a folder cannot be made or a file cannot be written.
    """
    targets = {Path(path): write for path, write in writes.items()}
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise OutputExistsError(f"{', '.join(existing)} exist{'s' * (len(existing) == 1)} already; pass --force to overwrite")
    temporary: dict[Path, Path] = {}
    with _sigterm_raises():
        try:
            for target, write in targets.items():
                temporary[target] = _temporary_file(target)
                with _output_errors(target):
                    write(temporary[target])
                    os.chmod(temporary[target], 0o666 & ~_umask())  # mkstemp makes owner-only files
            with _signals_held():
                for target, tmp in temporary.items():
                    with _output_errors(target):
                        os.replace(tmp, target)
        finally:
            for tmp in temporary.values():
                tmp.unlink(missing_ok=True)
    return list(targets)


def write_text_atomically(path: str | os.PathLike[str], text: str, force: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_atomically`."""
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=force)


def _temporary_file(target: Path) -> Path:
    with _output_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
    return Path(tmp)


@contextlib.contextmanager
def _output_errors(target: Path) -> Iterator[None]:
    """An OSError (read-only folder, disk full, a file where a folder should be) as an OutputError naming ``target``."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename and Path(exc.filename) != target and ".tmp" not in str(exc.filename) else ""
        raise OutputError(f"cannot write {target}: {reason}{where}") from None


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While writing, SIGTERM raises :class:`Interrupted` (so that ``finally`` removes temporary files)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def interrupt(signal_number, frame):
        raise Interrupted(signal_number)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGTERM back while the finished files are moved into place, so that a set is never half moved."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
