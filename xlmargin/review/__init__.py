"""The review of a book of positions: reading it, checking it, evaluating it, and the same on Dask.

=================  ==========================================================
module             what
=================  ==========================================================
``book``           the book's tables (:class:`Book`) and :class:`BookError`
``reading``        a book from a risk_review.xlsx, CSV or Parquet; the sample
``checking``       every problem of a book found at once
``evaluate``       per-position and per-account figures, stress, cascade
``ladder``         a price-shock ladder of a book, an account or a position; the same of columns
``distributed``    the same review on Dask over partitioned Parquet
``headroom``       margin that can come out, withdrawable balance, break-even
=================  ==========================================================

Built on :mod:`xlmargin.core` only; the report (:mod:`xlmargin.report`) presents
what it computes.
"""

from .book import Book, BookError
from .checking import check_book
from .evaluate import RiskResult, evaluate
from .ladder import shock_ladder
from .reading import read_book, sample_book, synthetic_book

__all__ = ["Book", "BookError", "check_book", "read_book", "sample_book", "synthetic_book", "evaluate", "RiskResult", "shock_ladder"]
