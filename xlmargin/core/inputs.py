"""The input rule shared by every core function, written once.

Rule (see docs/formulas.md, "Inputs and outputs"):

* Every numeric argument is a scalar, a sequence, a numpy array or a pandas
  Series. Arguments broadcast against each other as numpy arrays do; a shape
  mismatch is an :class:`~xlmargin.errors.InputError` naming the arguments.
* All scalars in -> a Python ``float`` (or ``bool``) out. Any array in -> an
  ndarray of the broadcast shape out. Any Series in -> a Series out, on the
  index the Series inputs share (they must share one).
* Inputs are never modified.
* A value outside an argument's domain is an ``InputError`` naming the argument
  and, for arrays, the first bad row counting from 1 (and its column, in a 2-D
  array). TRUE/FALSE is not a number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .solver import compiled_kernel  # the compiled checks, for large columns

_SIDE_WORDS = {"long": 1.0, "short": -1.0, "1": 1.0, "-1": -1.0, "+1": 1.0}
_CONTRACT_WORDS = ("linear", "inverse")


def _where(bad: np.ndarray) -> dict[str, int | None]:
    """Row (and, in a 2-D array, column) of the first True in ``bad``, counting from 1."""
    if bad.ndim == 0:
        return {"row": None}
    first = int(np.argmax(bad.ravel()))
    if bad.ndim == 2:
        r, c = np.unravel_index(first, bad.shape)
        return {"row": int(r) + 1, "column": int(c) + 1}
    return {"row": first + 1}


def _fail(name: str, message: str, bad: np.ndarray) -> None:
    if bad.any():
        raise InputError(name, message, **_where(bad))


def as_float(name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array (no copy for a float64 ndarray)."""
    if isinstance(value, pd.Series):
        value = value.to_numpy()
    raw = np.asarray(value, dtype=object) if isinstance(value, (list, tuple)) else np.asarray(value)
    if raw.dtype.kind == "b" or (raw.dtype.kind == "O" and any(isinstance(v, (bool, np.bool_)) for v in raw.ravel())):
        _fail(name, "must be a number, not TRUE/FALSE", np.vectorize(lambda v: isinstance(v, (bool, np.bool_)), otypes=[bool])(raw))
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.asarray(value, dtype=object)
        bad = np.array([not _is_number(v) for v in arr.ravel()]).reshape(arr.shape)
        raise InputError(name, "must be a number", **_where(bad)) from None
    return arr


def unchecked_numbers(*values: Any, at_least: int) -> list[np.ndarray] | None:
    """``values`` as float64 arrays without their range checks, for a kernel that checks each row as it goes.

    Only where every value is already numeric (an ndarray or Series of ints or floats, or a
    number) and the largest has ``at_least`` values; otherwise None: check them as usual.
    """
    arrays = [v.to_numpy() if isinstance(v, pd.Series) else v for v in values]
    if not any(isinstance(a, np.ndarray) and a.size >= at_least for a in arrays):
        return None
    if not all(isinstance(a, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(a, (bool, np.bool_))
               and np.asarray(a).dtype.kind in "iuf" for a in arrays):
        return None
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return not isinstance(v, (bool, np.bool_)) and v is not None


def _in_range(name: str, arr: np.ndarray, message: str, low: float, high: float, low_ok: bool) -> np.ndarray:
    """Raise unless every value lies in the range: one compiled pass for a large column, else two reductions (one value: a test)."""
    if arr.ndim == 0:
        value = float(arr)
        if not ((value >= low if low_ok else value > low) and value < high):  # NaN fails both tests
            raise InputError(name, message, row=None)
        return arr
    kernel = compiled_kernel(None, arr.size)
    if kernel is not None and kernel.first_out_of_range(arr.reshape(-1), low, high, low_ok) < 0:
        return arr
    if arr.size:
        lowest, highest = arr.min(), arr.max()  # NaN propagates and fails both tests
        if not ((lowest >= low if low_ok else lowest > low) and highest < high):
            bad = ~(((arr >= low) if low_ok else (arr > low)) & (arr < high))
            raise InputError(name, message, **_where(bad))
    return arr


def positive(name: str, value: Any) -> np.ndarray:
    """Float array whose every value is finite and > 0."""
    return _in_range(name, as_float(name, value), "must be a finite number > 0", 0.0, np.inf, False)


def non_negative(name: str, value: Any) -> np.ndarray:
    """Float array whose every value is finite and >= 0."""
    return _in_range(name, as_float(name, value), "must be a finite number >= 0", 0.0, np.inf, True)


def finite(name: str, value: Any) -> np.ndarray:
    """Float array whose every value is finite (any sign)."""
    return _in_range(name, as_float(name, value), "must be a finite number", -np.inf, np.inf, False)


def rate(name: str, value: Any) -> np.ndarray:
    """Float array of rates in [0, 1): 0.005 is 0.5 %."""
    return _in_range(name, as_float(name, value), "must be a rate in [0, 1) (0.005 is 0.5 %)", 0.0, 1.0, True)


def side(value: Any) -> np.ndarray:
    """``+1.0`` for long, ``-1.0`` for short.

    Accepts ``"long"``/``"short"`` in any case and ``1``/``-1``.
    """
    if isinstance(value, pd.Series):
        value = value.to_numpy()
    arr = np.asarray(value)
    if arr.dtype.kind in "iuf":
        arr = arr.astype(np.float64, copy=False)
        kernel = compiled_kernel(None, arr.size)
        if kernel is not None and kernel.first_not_a_side(arr.reshape(-1)) < 0:
            return arr
        _fail("side", "must be long/short or 1/-1", (arr != 1.0) & (arr != -1.0))
        return arr
    if arr.ndim == 0:  # one cell: no need to sort the words
        out = np.asarray(_side_word(str(arr.item())))
        _fail("side", "must be long/short or 1/-1", np.isnan(out))
        return out
    words, inverse = np.unique(arr.astype(str), return_inverse=True)
    mapped = np.array([_side_word(w) for w in words], dtype=np.float64)
    out = mapped[inverse].reshape(arr.shape)
    _fail("side", "must be long/short or 1/-1", np.isnan(out))
    return out


def _side_word(word: str) -> float:
    word = word.strip().lower()
    if word in _SIDE_WORDS:
        return _SIDE_WORDS[word]
    try:
        number = float(word)
    except ValueError:
        return np.nan
    return number if number in (1.0, -1.0) else np.nan


def is_inverse(value: Any) -> np.ndarray:
    """Boolean array, True where the contract is ``"inverse"`` (coin-margined).

    Accepts ``"linear"``/``"inverse"`` in any case.
    """
    if isinstance(value, pd.Series):
        value = value.to_numpy()
    arr = np.asarray(value)
    if arr.dtype.kind not in "UO":
        raise InputError("contract", "must be 'linear' or 'inverse'", None)
    if arr.ndim == 0:  # one cell
        word = str(arr.item()).strip().lower()
        _fail("contract", "must be 'linear' or 'inverse'", np.asarray(word not in _CONTRACT_WORDS))
        return np.asarray(word == "inverse")
    words, inverse = np.unique(arr.astype(str), return_inverse=True)
    lowered = [w.strip().lower() for w in words]
    bad_word = np.array([w not in _CONTRACT_WORDS for w in lowered])
    _fail("contract", "must be 'linear' or 'inverse'", bad_word[inverse].reshape(arr.shape))
    return np.array([w == "inverse" for w in lowered])[inverse].reshape(arr.shape)


def shape_and_wrapper(args: Mapping[str, Any]) -> tuple[tuple[int, ...], Callable[[Any], Any]]:
    """Check that ``args`` broadcast; return their shape and the output wrapper.

    The wrapper turns a result array into a float/bool (all-scalar input), an
    ndarray, or a Series on the inputs' shared index.
    """
    index = None
    shapes = {}
    for name, value in args.items():
        if isinstance(value, pd.Series):
            if index is None:
                index = value.index
            elif not value.index.equals(index):
                raise InputError(name, "is a Series whose index differs from the other Series inputs")
        shapes[name] = np.shape(value)
    try:
        shape = np.broadcast_shapes(*shapes.values())
    except ValueError:
        listed = ", ".join(f"{n} {s}" for n, s in shapes.items() if s != ())
        raise InputError("arguments", f"have lengths that do not match: {listed}") from None
    if index is not None and shape != (len(index),):
        raise InputError("arguments", f"have shape {shape}, which does not match the Series length {len(index)}")

    def wrap(result: Any) -> Any:
        result = np.asarray(result)
        if index is not None:
            return pd.Series(np.broadcast_to(result, shape).copy(), index=index)
        if shape == ():
            return result.item()
        return np.broadcast_to(result, shape).copy() if result.shape != shape else result

    return shape, wrap
