"""Comparisons a student's value cannot fool: normalise it to plain data first, then compare, reference on the left.

``same(expected, got)`` never calls anything the student defined: ``plain(got)`` accepts only values whose exact type
is a builtin or numpy type (``type(x)``, which a class cannot lie about, unlike ``isinstance`` and ``__class__``),
and copies them. An object with its own ``__eq__``, ``__float__``, ``__array__`` or ``__class__`` is refused before
any comparison, so an object that says yes to everything cannot pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_SCALARS = (bool, int, float, str, type(None))


class NotPlain(TypeError):
    """The value is not plain data (numbers, strings, lists, tuples, dicts, numpy arrays)."""


def plain(value: Any, _depth: int = 0) -> Any:
    """A plain copy of ``value``: builtins and numpy values only (numpy scalars become Python scalars)."""
    if _depth > 20:
        raise NotPlain("nested more than 20 levels deep")
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind in (list, tuple):
        return kind(plain(item, _depth + 1) for item in value)
    if kind is dict:
        return {plain(key, _depth + 1): plain(item, _depth + 1) for key, item in value.items()}
    if kind is np.ndarray:
        if value.dtype == object:
            raise NotPlain("an array of Python objects")
        return value.copy()
    if isinstance(value, np.generic) and kind.__module__ == "numpy":  # np.float64, np.int8, np.bool_, np.str_
        return value.item()
    raise NotPlain(f"a {kind.__name__}")


def same(expected: Any, got: Any, atol: float = 1e-8) -> bool:
    """Whether ``got`` equals the reference value ``expected`` (numbers and arrays to within ``atol``, NaN equal
    to NaN). ``got`` is normalised to plain data first; anything else is not equal."""
    try:
        got = plain(got)
    except NotPlain:
        return False
    return _same_plain(plain(expected), got, atol)


def _is_number(value) -> bool:
    return type(value) in (int, float)


def _same_plain(expected, got, atol: float) -> bool:
    if expected is None:
        return got is None
    if type(expected) is bool:
        return type(got) is bool and expected == got
    if _is_number(expected):
        if type(got) is np.ndarray and got.shape == () and got.dtype.kind in "biuf":
            got = got.item()
        if not _is_number(got) or type(got) is bool:
            return False
        if math.isnan(expected):
            return math.isnan(got)
        return abs(float(expected) - float(got)) <= atol
    if type(expected) is str:
        return type(got) is str and expected == got
    if type(expected) is np.ndarray:
        return _same_array(expected, got, atol)
    if type(expected) in (list, tuple):
        return (type(got) in (list, tuple) and len(got) == len(expected)
                and all(_same_plain(e, g, atol) for e, g in zip(expected, got)))
    if type(expected) is dict:
        return (type(got) is dict and set(got) == set(expected)
                and all(_same_plain(expected[key], got[key], atol) for key in expected))
    raise TypeError(f"cannot compare with a reference value of type {type(expected).__name__}")


def _same_array(expected: np.ndarray, got, atol: float) -> bool:
    if type(got) in (list, tuple):
        try:
            got = np.array(got)  # plain already: only numbers, strings and sequences of them
        except ValueError:
            return False
    if type(got) is not np.ndarray or got.dtype == object or got.shape != expected.shape:
        return False
    if expected.dtype == bool:
        return got.dtype == bool and bool(np.array_equal(expected, got))
    if expected.dtype.kind in "biuf":
        if got.dtype.kind not in "biuf":
            return False
        return bool(np.allclose(expected.astype(float), got.astype(float), atol=atol, rtol=0, equal_nan=True))
    return bool(np.array_equal(expected, got))


def show(value: Any) -> str:
    """A short, one-line description of a value (never more than ~200 characters)."""
    try:
        value = plain(value)
    except NotPlain as err:
        return f"{err} (not plain data: numbers, strings, lists, dicts or numpy arrays)"
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=12, max_line_width=10_000).replace("\n", "")
        return f"an array of shape {value.shape}: {text}"[:200]
    if isinstance(value, float):
        return f"{value:.6g}"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
