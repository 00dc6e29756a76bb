"""Excel's two ways of calling a Python function, imitated exactly: Office.js and the COM add-in.

A formula's arguments are written host-neutrally and each host turns them into what Excel really
hands xlwings, then runs xlwings' own call path:

* a plain value (``500``, ``"long"``, ``True``) is a constant typed into the formula;
* :class:`Ref` (or a plain list: a column; a list of lists: a table) is a reference to cells,
  ``None`` in it an empty cell and :class:`ErrorCell` an error value;
* :data:`OMIT` is an optional argument left out (``=F(1,,3)``, or nothing after the last one).

**Office.js** (xlwings Server and Lite): Excel calls the JavaScript function with one value per
declared parameter, an omitted one as ``null``; every argument is a 2-D array ("matrix"
parameters), empty cells ``null``, numbers JSON numbers (500, not 500.0), error cells error objects
(the metadata sets ``allowErrorForDataTypeAny``, xlwings/pro/udfs_officejs.py
``custom_functions_meta``). The request goes through a JSON round trip and then
``xlwings.server.custom_functions_call``, which turns a 1x1 array into its value and replaces a
``None`` with the Python default (``to_scalar``, ``args[i] = arg_info.get("optional", None)``).

**COM** (the Windows add-in): the VBA wrapper "Import Python UDFs" writes passes
``Array(arg1, arg2, ...)``; a missing ``Optional`` argument is VBA's missing value, which pywin32
delivers as the int ``-2147352572`` (DISP_E_PARAMNOTFOUND); a reference is a Range whose ``.Value``
is a scalar for one cell or a tuple of row tuples, with empty cells ``None``, numbers floats and
error cells their int codes. ``xlwings.udfs.call_udf`` then replaces the missing value with the
Python default and converts everything else with ``conversion.read``. This module runs that loop
(copied from ``call_udf``) with xlwings' own conversion pipelines; only the Windows engine's cell
cleaning and writing (``xlwings._xlwindows``, which cannot import off Windows) is re-stated here.
The UDF module is imported a second time with the COM decorators, with pywin32 stubbed, exactly as
xlwings picks them on Windows.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import json
import math
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xlwings
from xlwings import conversion
from xlwings.conversion.framework import ConversionContext
from xlwings.server import custom_functions_call

from xlmargin.errors import XlmarginError
from xlmargin.excel import udfs


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omit()


@dataclass(frozen=True)
class ErrorCell:
    """A cell holding an Excel error, such as ``#N/A``."""

    code: str


@dataclass(frozen=True)
class Ref:
    """A reference to cells: rows of cell values (None: an empty cell)."""

    rows: tuple

    @staticmethod
    def of(value: Any) -> Ref:
        if isinstance(value, Ref):
            return value
        if isinstance(value, list):
            return Ref(tuple(tuple(row) if isinstance(row, (list, tuple)) else (row,) for row in value))
        return Ref(((value,),))


def empty_cell() -> Ref:
    return Ref(((None,),))


@dataclass(frozen=True)
class Shown:
    """An error as Excel shows it: the code, and the reason (hover text or cell text)."""

    code: str
    reason: str = field(default="", compare=False)


# ---------------------------------------------------------------------------
# Office.js

_OFFICE_JS_ERROR_TYPES = {"#DIV/0!": "Div0", "#N/A": "NotAvailable", "#NAME?": "Name", "#NULL!": "Null",
                          "#NUM!": "Num", "#REF!": "Ref", "#VALUE!": "Value"}
_ERROR_TYPE_CODES = {v: k for k, v in _OFFICE_JS_ERROR_TYPES.items()}


def _js_cell(value: Any) -> Any:
    if isinstance(value, ErrorCell):  # Excel.ErrorCellValue
        return {"type": "Error", "basicType": "Error", "basicValue": value.code, "errorType": _OFFICE_JS_ERROR_TYPES[value.code]}
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JavaScript's JSON has no 500.0
    return value


class OfficeJs:
    """xlwings Server / Lite: ``custom_functions_call`` with the request as Excel sends it."""

    name = "office.js"
    module = udfs

    def request(self, name: str, *args: Any) -> dict:
        arity = len(inspect.signature(getattr(self.module, name)).parameters)
        assert len(args) <= arity, f"{name} takes {arity} arguments"
        sent = []
        for a in list(args) + [OMIT] * (arity - len(args)):
            if a is OMIT:
                sent.append(None)  # JavaScript null
            else:
                sent.append([[_js_cell(v) for v in row] for row in Ref.of(a).rows])
        data = {"func_name": name, "args": sent, "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4"}
        return json.loads(json.dumps(data))  # what the server parses

    async def acall(self, name: str, *args: Any) -> Any:
        """The cells Excel gets back; bad input raises (xlwings Server answers #VALUE! with the message)."""
        return await custom_functions_call(self.request(name, *args), self.module)

    def call(self, name: str, *args: Any) -> Any:
        return asyncio.run(self.acall(name, *args))

    def shown(self, name: str, *args: Any) -> list[list[Any]]:
        try:
            cells = self.call(name, *args)
        except XlmarginError as exc:
            return [[Shown("#VALUE!", str(exc))]]
        return [[Shown(_ERROR_TYPE_CODES[c["errorType"]]) if isinstance(c, dict) else c for c in row] for row in cells]


# ---------------------------------------------------------------------------
# COM

VBA_MISSING = -2147352572  # DISP_E_PARAMNOTFOUND, as pywin32 hands over VBA's missing Optional
COM_ERROR_CODES = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259, "#NULL!": -2146826288,
                   "#NUM!": -2146826252, "#REF!": -2146826265, "#VALUE!": -2146826273}  # xlwings._xlwindows.cell_errors
_CELL_ERRORS = {v: k for k, v in COM_ERROR_CODES.items()}


class _WindowsEngine:
    """What xlwings._xlwindows.Engine does to cells (it cannot import off Windows); dates left out."""

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value):  # _xlwindows._clean_value_data_element
            if value in ("", None):
                return empty_as
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if isinstance(value, int) and value in _CELL_ERRORS:
                return _CELL_ERRORS[value] if err_to_str else None
            return value

        return [[clean(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):  # _xlwindows.Engine.prepare_xl_data_element
        if x is None or (isinstance(x, (float, np.floating)) and math.isnan(x)):
            return ""
        if isinstance(x, np.number):
            return float(x)
        return x


_ENGINE = types.SimpleNamespace(impl=_WindowsEngine(), type="desktop", name="excel")


def _context(value: Any) -> ConversionContext:
    ctx = ConversionContext.__new__(ConversionContext)
    ctx.range, ctx.value, ctx.source_value, ctx.meta, ctx.engine = None, value, value, {}, _ENGINE
    return ctx


def com_read(value: Any, options: dict) -> Any:
    """``conversion.read`` of a Range's ``.Value`` or of a VBA value, with the Windows engine."""
    convert = options.get("convert", None)
    ctx = _context(value)
    conversion.accessors.get(convert, convert).reader(options)(ctx)
    return ctx.value


def com_write(value: Any, options: dict) -> Any:
    conversion._check_not_jagged(value)
    convert = options.get("convert", None)
    ctx = _context(value)
    ctx.meta["write_property"] = "raw_value"
    conversion.accessors.get(convert, convert).router(value, None, options).writer(options)(ctx)
    return ctx.value


class _Range:
    """A COM Range as call_udf sees it: ``.Value`` is a scalar for one cell, else a tuple of row tuples."""

    def __init__(self, ref: Ref):
        rows = tuple(tuple(COM_ERROR_CODES[v.code] if isinstance(v, ErrorCell) else
                           (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for v in row)
                     for row in ref.rows)
        self.Value = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


_com_lock = threading.Lock()


@functools.cache
def com_udfs() -> types.ModuleType:
    """xlmargin.excel.udfs imported as on Windows: with xlwings' COM decorators (pywin32 stubbed)."""

    class Stub(types.ModuleType):  # pywin32, absent off Windows: any attribute is a no-op
        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    with _com_lock:
        added = [n for n in ("pythoncom", "pywintypes", "win32com", "win32com.client") if n not in sys.modules]
        for n in added:
            sys.modules[n] = Stub(n)
        if "pywintypes" in added:
            sys.modules["pywintypes"].com_error = type("com_error", (Exception,), {})
        try:
            import xlwings.udfs as com
        finally:
            for n in added:
                del sys.modules[n]
        saved = xlwings.func, xlwings.arg, xlwings.ret
        xlwings.func, xlwings.arg, xlwings.ret = com.xlfunc, com.xlarg, com.xlret  # what xlwings picks on Windows
        try:
            spec = importlib.util.spec_from_file_location("xlmargin.excel._udfs_through_com", udfs.__file__)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            xlwings.func, xlwings.arg, xlwings.ret = saved
    return module


class Com:
    """The Windows add-in: VBA's ``Array(...)`` of arguments through ``xlwings.udfs.call_udf``'s conversion."""

    name = "com"

    @property
    def module(self) -> types.ModuleType:
        return com_udfs()

    def vba_args(self, name: str, *args: Any) -> list[Any]:
        arity = len(inspect.signature(getattr(self.module, name)).parameters)
        assert len(args) <= arity, f"{name} takes {arity} arguments"
        out = []
        for a in list(args) + [OMIT] * (arity - len(args)):
            if a is OMIT:
                out.append(VBA_MISSING)
            elif isinstance(a, (Ref, list)):
                out.append(_Range(Ref.of(a)))
            elif isinstance(a, ErrorCell):
                out.append(COM_ERROR_CODES[a.code])  # an error Variant
            else:
                out.append(float(a) if isinstance(a, int) and not isinstance(a, bool) else a)  # VBA Double
        return out

    def call(self, name: str, *args: Any) -> Any:
        func = getattr(self.module, name)
        info = func.__xlfunc__
        args_info = info["args"]
        converted = list(self.vba_args(name, *args))
        for i, arg in enumerate(converted):  # xlwings/udfs.py call_udf
            arg_info = args_info[min(i, len(args_info) - 1)]
            if isinstance(arg, int) and arg == VBA_MISSING:
                converted[i] = arg_info.get("optional", None)
            elif isinstance(arg, _Range):
                converted[i] = com_read(arg.Value, arg_info["options"])
            else:
                converted[i] = com_read(arg, arg_info["options"])
        return com_write(func(*converted), info["ret"]["options"])

    async def acall(self, name: str, *args: Any) -> Any:
        return self.call(name, *args)

    def shown(self, name: str, *args: Any) -> list[list[Any]]:
        cells = self.call(name, *args)
        cells = cells if isinstance(cells, list) else [[cells]]
        return [[_shown_text(c) for c in row] for row in cells]


def _shown_text(cell: Any) -> Any:
    if isinstance(cell, str) and cell.startswith("#"):
        code, _, reason = cell.partition(" ")
        return Shown(code, reason)
    return cell


HOSTS = {"office.js": OfficeJs(), "com": Com()}
