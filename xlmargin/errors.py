"""The one place xlmargin's exceptions and warnings are defined.

Every error xlmargin raises on purpose derives from :class:`XlmarginError`;
errors about bad input are also :class:`ValueError`, so ``except ValueError``
keeps working for callers who do not know this module.

Hierarchy::

    XlmarginError                           bad input unless it is a FailedError
    ├── InputError (also ValueError)       bad argument value, shape or choice
    │   └── TierTableError                  a tier table that cannot be used
    └── FailedError                         the work failed for a reason other than its input
        ├── OutputError (also OSError)      an output file or folder cannot be written
        └── MissingExtraError (also ImportError)  an optional part used without its extra's libraries
    Interrupted (BaseException)             SIGTERM arrived while outputs were being written
    TierTableWarning (UserWarning)          a usable but suspect tier table
    ConvergenceWarning (UserWarning)        a solver gave up on some rows (their result is NaN)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

__all__ = [
    "XlmarginError", "InputError", "TierTableError", "FailedError", "OutputError", "MissingExtraError", "Interrupted",
    "TierTableWarning", "ConvergenceWarning",
]


class XlmarginError(Exception):
    """Base class of every exception xlmargin raises on purpose."""


class InputError(XlmarginError, ValueError):
    """An argument has a value, shape or choice xlmargin cannot use.

    Attributes
    ----------
    argument : str
        The name of the argument at fault, as it appears in the signature.
    reason : str
        What is wrong, without the argument's name and the row.
    row : int or None
        For array arguments, the first bad row counting from 1 (as a
        spreadsheet does); ``None`` for a scalar argument or a whole-argument
        problem such as a shape mismatch.
    column : int or None
        For 2-D arrays, the column of that first bad value, counting from 1.
    """

    def __init__(self, argument: str, message: str, row: int | None = None, column: int | None = None):
        self.argument = argument
        self.reason = message
        self.row = row
        self.column = column
        where = "" if row is None else f" (row {row})" if column is None else f" (row {row}, column {column})"
        super().__init__(f"{argument} {message}{where}")


class TierTableError(InputError):
    """A tier table is malformed: unsorted, overlapping, gapped or out of range."""


class FailedError(XlmarginError):
    """The work could not be done for a reason other than its input: a missing library, a disk.

    The command line exits 1 for it ("xlmargin: failed: ..."), and 2 for any
    other :class:`XlmarginError`, which is about the input ("xlmargin: bad input: ...").
    """


class OutputError(FailedError, OSError):
    """An output file or folder cannot be written (read-only folder, disk full, ...); nothing was left behind."""


class Interrupted(BaseException):
    """SIGTERM arrived while outputs were being written; their temporary files were removed.

    A :class:`BaseException`, as :class:`KeyboardInterrupt` is, so that no
    ``except Exception`` swallows it.
    """

    def __init__(self, signal_number: int):
        self.signal_number = signal_number
        super().__init__(f"interrupted by signal {signal_number}")


class MissingExtraError(FailedError, ImportError):
    """An optional part of xlmargin is used, but a library of its extra is not installed.

    ``pip install xlmargin`` installs the core and the Excel functions only (numpy,
    pandas, xlwings: what xlwings Lite can install too); the templates, the report,
    Dask, the compiled kernel and the command line each come with an extra.

    Attributes
    ----------
    part : str
        What was used, e.g. "the report".
    extra : str
        The extra that installs it, e.g. "report".
    library : str
        The first missing library (its import name), also ``ImportError.name``.
    """

    def __init__(self, part: str, extra: str, library: str):
        self.part, self.extra, self.library = part, extra, library
        super().__init__(f"{part} needs xlmargin[{extra}] ({library} is not installed): pip install 'xlmargin[{extra}]'",
                         name=library)

    def __reduce__(self):  # ImportError pickles its message only; keep the three fields
        return type(self), (self.part, self.extra, self.library)


def require_extra(part: str, extra: str, libraries: Iterable[str]) -> None:
    """Raise :class:`MissingExtraError` unless every library (import name) can be imported.

    Only looks the libraries up (``importlib.util.find_spec``), never imports
    them: an optional layer calls this first, then imports what it needs.
    """
    for library in libraries:
        if importlib.util.find_spec(library) is None:
            raise MissingExtraError(part, extra, library)


class TierTableWarning(UserWarning):
    """A tier table that can be used but looks wrong.

    Raised (as a warning) when the maintenance amounts do not make maintenance
    margin continuous at a tier boundary, so that maintenance margin jumps as
    the notional crosses it.
    """


class ConvergenceWarning(UserWarning):
    """A solver found no consistent answer for some rows, which it returns as NaN.

    Raised (as a warning) when the legs of a hedged symbol in a cross account
    keep changing tiers at the price their common equation gives.
    """
