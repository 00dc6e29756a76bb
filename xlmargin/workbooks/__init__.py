"""Template workbooks: built from code, recalculated headlessly.

- :mod:`.specs`: the worked examples W1-W6 as :class:`~.model.Template` data
- :mod:`.writer` (and :mod:`.chart`): any template to an .xlsx file
- :mod:`.risk_review`: the blank risk-review workbook
- :mod:`.templates`: builds them all, with values from the engine (``xlmargin templates``)
- :mod:`.engine`: headless recalculation (``formulas``); :mod:`.recalc`: ``xlmargin recalc``
"""
