"""Writing the rows of a large table into an XlsxWriter worksheet fast: the same cells, a row at a time, not a cell at a time.

XlsxWriter's ``write_number`` / ``write_string`` cost about 3-9 µs a cell in
Python (a call, a check, a tuple, then an XML element per cell); a 1,000,000-
position report holds about 40 million cells. In ``constant_memory`` mode
XlsxWriter streams each finished row as XML into a temporary file, which it
copies into the sheet when the workbook closes. :func:`write_rows` writes the
same XML into that file a row at a time: each cell's markup comes from
XlsxWriter itself (its ``_write_cell``, once per distinct text, flag or special
number of a column), and finite numbers are formatted as XlsxWriter does
(``{:.16G}``), so the file holds the cells the per-cell calls would have written.
It uses four of XlsxWriter's internals (``fh``, ``previous_row``,
``_write_single_row``, ``_write_cell``); ``tests/test_report_xlsx_rows.py``
compares the result with the per-cell path byte for byte, so a change in
XlsxWriter shows there.

With a :class:`Later`, the rows are not written at once: a marker takes their
place in XlsxWriter's temporary file, and :func:`closing` writes them when the
workbook closes, straight into the zip file, while a second thread compresses
them (zlib works without Python's lock). A million positions' ~1 GB of sheet
XML then never goes to disk uncompressed (XlsxWriter writes it twice there, and
reads it twice), and formatting and compressing use both cores.
"""

from __future__ import annotations

import contextlib
import io
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellBooleanTuple,
    CellFormulaTuple,
    CellNumberTuple,
    CellStringTuple,
)

CHUNK = 5_000  # rows formatted at once: the cells' markup exists for a few chunks at a time (~5 MB each for 20 columns)
ANNOUNCED_FROM = 50_000  # a block of rows this long is announced to the progress callback as it is written
TEXT_MAX = 32_767  # Excel's most UTF-16 units in a cell (XlsxWriter truncates longer strings)


def _markup(sheet, col: int, cell) -> str:
    """What XlsxWriter writes for ``cell`` in column ``col``, after ``<c r="A1"`` (the row number is added per row)."""
    saved, sheet.fh = sheet.fh, io.StringIO()
    try:
        sheet._write_cell(0, col, cell)
        text = sheet.fh.getvalue()
    finally:
        sheet.fh = saved
    prefix = f'<c r="{xl_col_to_name(col)}1"'
    assert text.startswith(prefix), text  # XlsxWriter's cell element changed: see the module docstring
    return text[len(prefix):]


def _truncated(text: str) -> str:
    if len(text) <= TEXT_MAX // 2:
        return text
    units = text.encode("utf-16-le")
    return units[:2 * TEXT_MAX].decode("utf-16-le", "ignore") if len(units) > 2 * TEXT_MAX else text


_PLAIN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:+-]*")  # text XlsxWriter writes as it is (no escape, no space to keep)


def _texts(sheet, col: int, values):
    """A function of (start, stop): the markup of those of ``values``, made once per distinct text (XlsxWriter's, unless plain).

    ``values``: strings, or a pandas Series whose values are written as their
    ``str`` and whose missing values as an empty text.
    """
    if isinstance(values, pd.Series):
        codes, found = pd.factorize(values)  # a missing value's code is -1: the last text, ""
        uniques = [str(u) for u in found] + [""]
    else:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    markup = np.array([f' t="inlineStr"><is><t>{u}</t></is></c>' if _PLAIN.fullmatch(u) else
                       _markup(sheet, col, CellStringTuple(_truncated(u), None)) for u in uniques], dtype=object)
    return lambda start, stop: markup[codes[start:stop]].tolist()


def _numbers(sheet, col: int, values: np.ndarray, cell_format):
    """A function of (start, stop): the markup of those numbers, NaN an empty cell, +-inf ``#NUM!``."""
    number = _markup(sheet, col, CellNumberTuple(1.0, cell_format)).replace("<v>1</v>", "<v>%.16G</v>")
    blank = _markup(sheet, col, CellBlankTuple(cell_format))
    error = _markup(sheet, col, CellFormulaTuple("#NUM!", cell_format, "#NUM!"))

    def markup(numbers: np.ndarray) -> list[str]:
        return [number % v if v - v == 0 else blank if v != v else error for v in numbers.tolist()]  # v - v: 0 when finite

    repeated = _repeated(values)
    if repeated is not None:
        codes, uniques = repeated
        texts = np.array(markup(uniques), dtype=object)
        return lambda start, stop: texts[codes[start:stop]].tolist()
    return lambda start, stop: markup(values[start:stop])


REPEATS_FROM = 4  # a column is formatted once per distinct value where it holds fewer than 1 in REPEATS_FROM distinct values
_SAMPLE = 10_000


def _repeated(values: np.ndarray):
    """``(codes, uniques)`` of a float column with many repeated values (a mark price per symbol, a zero funding), else None.

    Values are told apart by their bits (-0.0 is not 0.0, every NaN its own), so
    each distinct value's text is the one its cells would get.
    """
    bits = np.ascontiguousarray(values, dtype=float).view(np.int64)
    if len(np.unique(bits[:_SAMPLE])) * REPEATS_FROM > min(len(bits), _SAMPLE):
        return None
    codes, uniques = pd.factorize(bits)
    if len(uniques) * REPEATS_FROM > len(bits):
        return None
    return codes, np.asarray(uniques, dtype=np.int64).view(np.float64)


def _flags(sheet, col: int, values: np.ndarray):
    markup = [_markup(sheet, col, CellBooleanTuple(0, None)), _markup(sheet, col, CellBooleanTuple(1, None))]
    return lambda start, stop: [markup[v] for v in values[start:stop].tolist()]


def write_rows(sheet, first_row: int, columns: list[tuple], later: Later | None = None) -> int:
    """Write the cells of ``columns`` at rows ``first_row``, ``first_row + 1``, ... of ``sheet``; return the row after.

    Parameters
    ----------
    sheet : xlsxwriter.worksheet.Worksheet
        A worksheet of a ``constant_memory`` workbook whose rows so far lie above
        ``first_row``.
    first_row : int
        The first row to write (0-based).
    columns : list of (kind, values, format)
        Per column, from the left: ``"number"`` (a float array; NaN an empty
        cell with the format, +-inf ``#NUM!``), ``"text"`` (strings, or a
        Series: each value's ``str``, a missing one an empty text) or
        ``"flag"`` (booleans), and the cell format of a number column.
    later : Later, optional
        Where to leave the rows until the workbook closes (under :func:`closing`);
        without it they are written now.
    """
    n = len(columns[0][1]) if columns else 0
    if n == 0:
        return first_row
    sheet._write_single_row(first_row)  # the rows above (the header) go out first, as a cell write would send them
    cells, fields = [], []
    for j, (kind, values, cell_format) in enumerate(columns):
        letter = xl_col_to_name(j)
        if kind == "number" and np.isfinite(values).all():
            attr = f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""
            numbers = np.asarray(values, dtype=float)
            repeated = _repeated(numbers)
            if repeated is None:
                cells.append(f'<c r="{letter}{{0}}"{attr}><v>{{{len(fields) + 1}:.16G}}</v></c>')
                fields.append(lambda start, stop, numbers=numbers: numbers[start:stop].tolist())
            else:  # each distinct value formatted once, as the template would
                codes, uniques = repeated
                texts = np.array(["{:.16G}".format(v) for v in uniques.tolist()], dtype=object)
                cells.append(f'<c r="{letter}{{0}}"{attr}><v>{{{len(fields) + 1}}}</v></c>')
                fields.append(lambda start, stop, codes=codes, texts=texts: texts[codes[start:stop]].tolist())
            continue
        if kind == "number":
            field = _numbers(sheet, j, np.asarray(values, dtype=float), cell_format)
        elif kind == "text":
            field = _texts(sheet, j, values if isinstance(values, pd.Series) else list(values))
        else:
            field = _flags(sheet, j, np.asarray(values, dtype=bool).astype(int))
        cells.append(f'<c r="{letter}{{0}}"{{{len(fields) + 1}}}')
        fields.append(field)
    template = '<row r="{0}">' + "".join(cells) + "</row>"

    def pieces() -> Iterator[str]:
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            numbers = range(first_row + 1 + start, first_row + 1 + stop)  # Excel's rows count from 1
            yield "".join(map(template.format, numbers, *(field(start, stop) for field in fields)))

    if later is None:
        for piece in pieces():
            sheet.fh.write(piece)
    else:
        sheet.fh.write(later.add(n, f"{sheet.name}: {n:,} rows", pieces))
    last = first_row + n - 1
    sheet._check_dimensions(first_row, 0)
    sheet._check_dimensions(last, len(columns) - 1)
    sheet.previous_row = last + 1  # the next cell written goes below; a row above would be refused as XlsxWriter does
    return last + 1


class Later:
    """Rows left for the workbook's closing (:func:`closing`), each block behind a marker in its sheet's XML."""

    PREFIX = "\x00xlmargin rows "  # XlsxWriter escapes a control character in any cell: no cell holds one

    def __init__(self):
        self.blocks: dict[str, tuple[int, str, Callable[[], Iterator[str]]]] = {}

    def add(self, rows: int, label: str, pieces: Callable[[], Iterator[str]]) -> str:
        """Keep ``pieces`` (a function giving ``rows`` rows' XML in pieces); return the marker to write in their place."""
        marker = f"{self.PREFIX}{len(self.blocks)}\x00"
        self.blocks[marker] = (rows, label, pieces)
        return marker


@contextlib.contextmanager
def closing(later: Later | None, level: int, progress: Callable[[str], None] | None = None):
    """While XlsxWriter closes a workbook: its ZipFile deflates at ``level`` and writes ``later``'s rows in place of their markers.

    XlsxWriter has no option for either; its module's ``ZipFile`` is swapped
    for the ``close()`` only (the caller holds a lock: the swap is process-wide).
    """
    import xlsxwriter.workbook as module

    say = progress or (lambda label: None)
    blocks = later.blocks if later is not None else {}
    marker = re.compile(re.escape(Later.PREFIX) + r"[0-9]+\x00")

    class ZipFile(zipfile.ZipFile):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "compresslevel": level})

        def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
            with open(filename, "rb") as src:
                data = src.read() if blocks else b""
            if Later.PREFIX.encode() not in data:
                return super().write(filename, arcname, compress_type, compresslevel)
            text = data.decode("utf-8")
            info = zipfile.ZipInfo.from_file(filename, arcname, strict_timestamps=self._strict_timestamps)
            info.compress_type = self.compression
            info._compresslevel = self.compresslevel
            with self.open(info, "w") as dest:
                _compress_meanwhile(dest, _expanded(text, marker, blocks, say))

    saved, module.ZipFile = module.ZipFile, ZipFile
    try:
        yield
    finally:
        module.ZipFile = saved


def _expanded(text: str, marker: re.Pattern, blocks: dict, say) -> Iterator[str]:
    """``text`` with each marker replaced by its rows, in pieces."""
    start = 0
    for found in marker.finditer(text):
        yield text[start:found.start()]
        rows, label, pieces = blocks.pop(found.group())
        if rows >= ANNOUNCED_FROM:
            say(f"xlsx: {label}, written and compressed")
        yield from pieces()
        start = found.end()
    yield text[start:]


def _compress_meanwhile(dest, pieces: Iterator[str]) -> None:
    """Write ``pieces`` to ``dest`` (a zip member: deflate and CRC, which release Python's lock) from a second thread."""
    handoff: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def consume() -> None:
        while (data := handoff.get()) is not None:
            if not failed:
                try:
                    dest.write(data)
                except BaseException as exc:  # noqa: BLE001  (given back to the writing thread)
                    failed.append(exc)

    worker = threading.Thread(target=consume, name="xlsx-deflate", daemon=True)
    worker.start()
    try:
        for piece in pieces:
            if failed:
                break
            handoff.put(piece.encode("utf-8"))
    finally:
        handoff.put(None)
        worker.join()
    if failed:
        raise failed[0]
