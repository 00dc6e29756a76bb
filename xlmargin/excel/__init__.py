"""xlmargin in Excel: the user-defined functions and their runtimes.

``xlmargin.excel.udfs`` holds the functions (import it into the runtime that
serves them); ``convert`` is the one boundary between cell values and the core;
``runtimes`` says how to set up each runtime; ``ladder`` makes SHOCK_LADDER's
columns into the review's book (the one layer above the core this one uses).
Nothing here is imported by the core.
"""

from ..core import FORMULAS

FUNCTIONS = tuple(name.upper() for name in (*FORMULAS, "price_on_screen", "shock_ladder"))
"""The names of the functions of :mod:`xlmargin.excel.udfs` (its ``__all__``), known without importing xlwings."""
