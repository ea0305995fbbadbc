"""Exact JSON values: the one place that bounds nesting and keeps big integers exact.

Two traps of the fast `orjson` library decide this module's shape. Reading, it turns an
integer beyond 64 bits into a float without a word, so `10**30` and `10**30 + 1` compare
equal and a register history that reads the wrong value passes. Writing, it refuses such
integers. Lines with a long digit run are therefore read with the standard library (exact
integers, slower, rare) and output falls back to it too. Nesting is bounded here, once,
because every consumer downstream (hashing values, the HTML report, EDN) recurses: a value
nested a thousand deep must be an input error, not a RecursionError.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

#: deepest nesting of lists/objects accepted in one value (Jepsen ops nest about 4 deep)
MAX_NESTING = 64

# orjson is exact up to 64 bits; an integer that long needs at least 19 digits.
_LONG_DIGITS = re.compile(rb"\d{19}")


class JsonValueError(ValueError):
    """A JSON text or value replicheck will not use; the message says why."""


def _reject_constant(name: str) -> Any:
    raise JsonValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonValueError(f"number {text} is too large for a float")
    return value


def nesting_problem(value: Any, limit: int = MAX_NESTING) -> str | None:
    """Why `value` is unusable (nested deeper than `limit`, a lone surrogate), or None."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        elif isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "string with a lone surrogate (not valid Unicode)"
            continue
        else:
            continue
        if depth > limit:
            return f"value nested deeper than {limit} levels"
        stack.extend((child, depth + 1) for child in children)
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
    return None


def loads_line(raw: bytes) -> Any:
    """One JSON value from `raw`, integers exact; raises `JsonValueError`."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise JsonValueError(f"invalid JSON: {exc}") from None
    # A float in a line with a 19-digit run may be a rounded integer: read it again exactly.
    if _LONG_DIGITS.search(raw) is not None and _has_float(value):
        return loads_exact(raw)
    # orjson stops at 1024 levels itself; a line with fewer openers than the limit cannot
    # be too deep, so the walk only runs on suspicious lines.
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING:
        problem = nesting_problem(value)
        if problem:
            raise JsonValueError(problem)
    return value


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is float:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads_exact(text: str | bytes) -> Any:
    """The standard library's reader (exact integers) with the same rules as orjson's:
    no NaN/Infinity, no infinite floats, no lone surrogates, bounded nesting."""
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise JsonValueError(f"value nested deeper than {MAX_NESTING} levels") from None
    except UnicodeDecodeError:
        raise JsonValueError("not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise JsonValueError(f"invalid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise JsonValueError(f"invalid JSON: {exc}") from None
    problem = nesting_problem(value)
    if problem:
        raise JsonValueError(problem)
    return value


def _str_keys(value: Any) -> Any:
    """orjson's OPT_NON_STR_KEYS semantics for the standard library's writer."""
    if isinstance(value, dict):
        return {
            (key if isinstance(key, str) else _key_text(key)): _str_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_str_keys(item) for item in value]
    return value


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """JSON text of `value` (non-string keys allowed); exact for integers of any size."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(value, option=option).decode()
    except TypeError:  # an integer beyond 64 bits (orjson refuses them)
        return json.dumps(
            _str_keys(value), ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":")
        )
