"""Writing the rows of a large table into an XlsxWriter worksheet fast: the same cells, a block of rows at a time, in C.

XlsxWriter's ``write_number`` / ``write_string`` cost about 3-9 µs a cell in
Python (a call, a check, a tuple, then an XML element per cell); a 1,000,000-
position report holds about 40 million cells. In ``constant_memory`` mode
XlsxWriter streams each finished row as XML into a temporary file, which it
copies into the sheet when the workbook closes. :func:`write_rows` writes the
rows' XML into that file itself, a block of rows at a time, with pyarrow's
compute functions (no Python loop over cells): each number is formatted by
Arrow's float-to-text cast (the shortest text that reads back as the same
float), and the rest of each cell's markup is XlsxWriter's own (its
``_write_cell``, once per distinct text and once per column for a number, an
empty cell and ``#NUM!``). The cells are those the per-cell calls write, with
one difference: where ``write_number`` keeps 16 significant digits
(``{:.16G}``), a cell here holds the float exactly (``0.1`` as ``0.1``,
``1e+20`` where XlsxWriter writes ``1E+20``: both are numbers to Excel).
It uses four of XlsxWriter's internals (``fh``, ``previous_row``,
``_write_single_row``, ``_write_cell``); ``tests/test_report_xlsx_rows.py``
compares the result with the per-cell path, so a change in XlsxWriter shows there.

With a :class:`Later`, the rows are not written at once: a marker takes their
place in XlsxWriter's temporary file, and :func:`closing` writes them when the
workbook closes, straight into the zip file, while a second thread compresses
them (zlib works without Python's lock, as do Arrow's kernels). A million
positions' ~1 GB of sheet XML then never goes to disk uncompressed (XlsxWriter
writes it twice there, and reads it twice), and formatting and compressing use
both cores.
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
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellFormulaTuple,
    CellNumberTuple,
    CellStringTuple,
)

CHUNK = 8_000  # rows made at once: their XML exists for a few blocks at a time (~8 MB each for 20 columns)
ANNOUNCED_FROM = 50_000  # a block of rows this long is announced to the progress callback as it is written
FAST_LEVEL = 1  # ISA-L's deflate level for the rows' sheets: ~4x zlib's level 1, and smaller
TEXT = pa.large_string()  # 64-bit offsets: a block of rows of long texts may pass 2 GB
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

Pieces = list  # of str (the same for every row) and pyarrow string arrays (one text per row): one cell's markup, in order


def _texts(sheet, col: int, values) -> Callable[[slice | np.ndarray], Pieces]:
    """The markup of ``values[rows]`` after ``<c r="A1"``, made once per distinct text (XlsxWriter's, unless plain).

    ``values``: strings (a list or array), or a pandas Series whose values are
    written as their ``str`` and whose missing values as an empty text.
    """
    if isinstance(values, pd.Series):
        codes, found = pd.factorize(values)  # a missing value's code is -1: the last text, ""
        uniques = [str(u) for u in found] + [""]
    else:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    markup = pa.array([f' t="inlineStr"><is><t>{u}</t></is></c>' if _PLAIN.fullmatch(u) else
                       _markup(sheet, col, CellStringTuple(_truncated(u), None)) for u in uniques], TEXT)
    codes = np.where(codes < 0, len(markup) - 1, codes)
    return lambda rows: [markup.take(pa.array(codes[rows]))]


def _numbers(sheet, col: int, values: np.ndarray, cell_format) -> Callable[[slice | np.ndarray], Pieces]:
    """The markup of ``values[rows]`` after ``<c r="A1"``: NaN an empty cell, +-inf ``#NUM!``.

    ``cell_format``: one format for the column, or ``(codes, formats)``, the format of each row ``formats[codes[row]]``.
    """
    codes, formats = cell_format if isinstance(cell_format, tuple) else (None, [cell_format])
    starts, ends = zip(*(_markup(sheet, col, CellNumberTuple(1.0, f)).split("<v>1</v>") for f in formats))
    assert len(set(ends)) == 1, ends  # the format is in the cell's start only
    after = "</v>" + ends[0]
    befores = pa.array([start + "<v>" for start in starts], TEXT)

    def before(rows) -> str | pa.Array:  # the cell's start: the same for all rows, or each row's format's
        return befores[0].as_py() if codes is None else befores.take(pa.array(codes[rows]))

    if np.isfinite(values).all():
        return lambda rows: [before(rows), pc.cast(pa.array(values[rows]), TEXT), after]
    blanks = pa.array([_markup(sheet, col, CellBlankTuple(f)) for f in formats], TEXT)
    errors = pa.array([_markup(sheet, col, CellFormulaTuple("#NUM!", f, "#NUM!")) for f in formats], TEXT)

    def pieces(rows: slice | np.ndarray) -> Pieces:
        numbers = pa.array(values[rows])
        which = pa.array(np.zeros(len(numbers), dtype=np.intp) if codes is None else codes[rows])
        cells = _join([before(rows), pc.cast(numbers, TEXT), after])
        return [pc.if_else(pc.is_finite(numbers), cells,
                           pc.if_else(pc.is_nan(numbers), blanks.take(which), errors.take(which)))]

    return pieces


def write_rows(sheet, first_row: int, columns: list[tuple], later: Later | None = None,
               positions: np.ndarray | None = None) -> int:
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
        cell with the format, +-inf ``#NUM!``) or ``"text"`` (strings, or a
        Series: each value's ``str``, a missing one an empty text), and the cell
        format of a number column: one for all its rows, or ``(codes, formats)``
        (a row's format ``formats[codes[row]]``, codes aligned with the values).
    later : Later, optional
        Where to leave the rows until the workbook closes (under :func:`closing`);
        without it they are written now.
    positions : array of int, optional
        Which of the values to write, in order (a sorted view of the columns:
        each block of rows is taken as it is written); default all, as they are.
    """
    n = (len(columns[0][1]) if positions is None else len(positions)) if columns else 0
    if n == 0:
        return first_row
    sheet._write_single_row(first_row)  # the rows above (the header) go out first, as a cell write would send them
    cells = []
    for j, (kind, values, cell_format) in enumerate(columns):
        if kind == "number":
            cells.append(_numbers(sheet, j, np.asarray(values, dtype=float), cell_format))
        elif kind == "text":
            cells.append(_texts(sheet, j, values))
        else:
            raise ValueError(f"unknown kind of column {kind!r}: 'number' or 'text'")
    letters = [f'<c r="{xl_col_to_name(j)}' for j in range(len(columns))]

    def pieces() -> Iterator[memoryview]:
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            number = pc.cast(pa.array(np.arange(first_row + 1 + start, first_row + 1 + stop)), TEXT)  # Excel's, from 1
            rows = slice(start, stop) if positions is None else positions[start:stop]  # which values
            markup: Pieces = ['<row r="', number, '">']
            for letter, cell in zip(letters, cells):
                markup += [letter, number, '"', *cell(rows)]
            markup.append("</row>")
            yield _joined(_join(markup))

    if later is None:
        for piece in pieces():
            sheet.fh.write(str(piece, "utf-8"))
    else:
        sheet.fh.write(later.add(n, f"{sheet.name}: {n:,} rows", pieces))
    last = first_row + n - 1
    sheet._check_dimensions(first_row, 0)
    sheet._check_dimensions(last, len(columns) - 1)
    sheet.previous_row = last + 1  # the next cell written goes below; a row above would be refused as XlsxWriter does
    return last + 1


def _join(pieces: Pieces) -> pa.LargeStringArray:
    """Per row, the texts of ``pieces`` one after the other (neighbouring fixed texts put together first)."""
    merged: Pieces = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return pc.binary_join_element_wise(*(pa.scalar(p, TEXT) if isinstance(p, str) else p for p in merged), pa.scalar("", TEXT))


def _joined(texts: pa.LargeStringArray) -> memoryview:
    """All of ``texts`` one after the other, as UTF-8: where they already lie so, in the array's data buffer."""
    offsets, data = texts.buffers()[1:]
    offsets = np.frombuffer(offsets, dtype=np.int64)
    return memoryview(data)[offsets[texts.offset]:offsets[texts.offset + len(texts)]]


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
    A sheet holding rows is deflated by ISA-L (``isal``, at ``FAST_LEVEL``)
    instead of zlib: the same raw deflate stream zipfile writes, any unzip reads
    it, made about 4x faster (a million positions' ~1 GB of XML took zlib ~9 s
    of a core). It goes in as zipfile's member writer's ``_compressor``.
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
                assert hasattr(dest, "_compressor"), "zipfile's member writer changed: see xlsx_rows.closing"
                dest._compressor = isal_zlib.compressobj(FAST_LEVEL, isal_zlib.DEFLATED, -15)  # raw deflate, as zipfile's
                _compress_meanwhile(dest, _expanded(text, marker, blocks, say))

    saved, module.ZipFile = module.ZipFile, ZipFile
    try:
        yield
    finally:
        module.ZipFile = saved


def _expanded(text: str, marker: re.Pattern, blocks: dict, say) -> Iterator[bytes | memoryview]:
    """``text`` with each marker replaced by its rows, in pieces of UTF-8."""
    start = 0
    for found in marker.finditer(text):
        yield text[start:found.start()].encode("utf-8")
        rows, label, pieces = blocks.pop(found.group())
        if rows >= ANNOUNCED_FROM:
            say(f"xlsx: {label}, written and compressed")
        yield from pieces()
        start = found.end()
    yield text[start:].encode("utf-8")


def _compress_meanwhile(dest, pieces: Iterator[bytes | memoryview]) -> None:
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
            handoff.put(piece)
    finally:
        handoff.put(None)
        worker.join()
    if failed:
        raise failed[0]
