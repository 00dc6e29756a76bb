"""How much room the XLSX report's text takes: column widths, wrapped lines, row heights and page breaks.

Excel (and XlsxWriter) size nothing themselves: a row holding wrapped text keeps
its default height unless one is written, and a column its width. So the widths
are measured here in the workbook's font, Calibri 11, with Excel's own pixel
width of each character (XlsxWriter's ``CHAR_WIDTHS``, the table of its
``autofit``); bold text is taken 2 % wider (Calibri Bold, and Carlito Bold, its
metric twin that LibreOffice uses, are within 1 % of the regular widths that
table holds). A column is as wide as its widest value and its header's longest
word; a longer header wraps within it, and the header row is as tall as its
most wrapped header. Pages: A4 landscape fitted to the width, so a sheet's page
holds more rows the wider the sheet is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from xlsxwriter.utility import CHAR_WIDTHS

from .columns import Column, format_value

LINE_PT = 15.0  # height of one line of Calibri 11 [pt], Excel's default row height
PADDING_PX = 7  # Excel's padding inside a cell [px], as in XlsxWriter's autofit
NUMBER_PADDING = ")"  # numbers end a ")" wide of their cell's right edge (format "_)"): apart from text right of them
HEADER_GAP_PX = 8  # room kept between a header and the next one (a right-aligned header meets a left-aligned one)
BOLD = 1.02  # bold text's width against the regular widths of Excel's table (Carlito Bold measured: at most 1.01)
HEADER_PX = 120  # a header shorter than this [px] is not wrapped, even above narrower values
TEXT_PX = 420  # the widest a column of text is made [px] (60 characters); longer text is cut at the next cell
PAGE_WIDTH_PX = 1045  # inside A4 landscape with 0.4 in side margins, at Excel's 96 px per inch
PAGE_HEIGHT_PT = 595.0 - 72.0 - 10.0  # A4 landscape less 0.5 in top and bottom margins and a little room [pt]


def text_px(text: str, bold: bool = False) -> int:
    """The width of ``text`` in Calibri 11 [px] (Excel's character widths; 8 px for one it does not list)."""
    width = sum(CHAR_WIDTHS.get(char, 8) for char in text)
    return math.ceil(width * BOLD) if bold else width


def column_px(width: float) -> int:
    """The pixels of a column ``width`` characters wide, as Excel draws it (7 px a character plus 5)."""
    return int(width * 7 + 5 + 0.5) if width >= 1 else int(width * 12 + 0.5)


def wrap(text: str, px: int, bold: bool = False) -> list[str]:
    """``text`` broken between words into lines of at most ``px`` pixels inside a cell that wide.

    A word wider than the cell has a line of its own (Excel breaks it; the
    report's widths never need that).

    >>> wrap("Max loss, isolated [USDT]", 130, bold=True)
    ['Max loss, isolated', '[USDT]']
    """
    room = px - PADDING_PX
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_px(candidate, bold) > room:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def widest_value_px(column: Column, values: pd.Series) -> int:
    """The width of the widest of ``values`` as the report shows them in ``column`` [px, padding included]."""
    if values.empty:
        return 0
    if column.kind == "flag":
        return text_px("yes") + PADDING_PX
    if column.kind == "text":  # the first rows' distinct texts: a text column's widest is seen early or cut anyway
        head = values.head(2000)
        return min(max(map(text_px, head[head.notna()].astype(str).unique()), default=0), TEXT_PX) + PADDING_PX
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    numbers = values.to_numpy(dtype=float) if numeric else pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = numbers[np.isfinite(numbers)]
    samples = ["#NUM!"] if np.isinf(numbers).any() else []
    if finite.size:
        samples += [format_value(float(finite.max()), column), format_value(float(finite.min()), column)]
    return max(map(text_px, samples)) + text_px(NUMBER_PADDING) + PADDING_PX if samples else 0


def fitted_px(column: Column, values: pd.Series) -> int:
    """A column's width [px]: its widest value, its header's longest word, and its whole header up to ``HEADER_PX``."""
    words = max(text_px(word, bold=True) for word in column.label.split(" ")) + PADDING_PX + HEADER_GAP_PX
    whole = text_px(column.label, bold=True) + PADDING_PX + HEADER_GAP_PX
    return max(widest_value_px(column, values), words, min(whole, HEADER_PX))


def header_lines(columns: list[Column], widths_px: list[int]) -> int:
    """The lines of the most wrapped header of ``columns`` in columns ``widths_px`` wide."""
    room = text_px(NUMBER_PADDING)  # a header of numbers ends that far off the edge, as they do
    return max((len(wrap(c.label, px - room, bold=True)) for c, px in zip(columns, widths_px)), default=1)


def page_height_pt(sheet_px: int, scale: float | None = None) -> float:
    """The height [pt, at 100 %] a page holds of a sheet ``sheet_px`` wide, printed fitted to the page's width (or at ``scale``)."""
    if scale is not None:
        return PAGE_HEIGHT_PT / scale
    return PAGE_HEIGHT_PT * max(1.0, sheet_px / PAGE_WIDTH_PX)


def print_scale(sheet_px: int, tallest_pt: float) -> int:
    """The print scale [%] at which a sheet ``sheet_px`` wide fits the page's width and its ``tallest_pt`` block its height."""
    return max(10, min(100, math.floor(100 * min(PAGE_WIDTH_PX / sheet_px, PAGE_HEIGHT_PT / tallest_pt))))
