"""The review of a book of positions: reading and checking it, evaluating it, and the same on Dask.

Built on :mod:`xlmargin.core` only; the report (:mod:`xlmargin.report`) presents what it computes.
"""
