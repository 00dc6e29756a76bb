"""Template workbooks: built from code, recalculated headlessly.

- :mod:`.specs`: the worked examples W1-W6 as :class:`~.model.Template` data
- :mod:`.writer` (and :mod:`.chart`): any template to an .xlsx file
- :mod:`.risk_review`: the blank risk-review workbook
- :mod:`.templates`: builds them all, with values from the engine (``xlmargin templates``)
- :mod:`.engine`: headless recalculation (``formulas``); :mod:`.recalc`: ``xlmargin recalc``

Its libraries come with ``pip install 'xlmargin[templates]'``; without them, importing
any of these modules raises :class:`~xlmargin.errors.MissingExtraError` naming that extra.
"""

from ..errors import require_extra

require_extra("the template workbooks", "templates", ("xlsxwriter", "openpyxl", "formulas", "lxml", "tqdm"))
