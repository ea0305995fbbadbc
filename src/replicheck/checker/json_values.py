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

# orjson is exact up to 64 bits; an integer beyond needs a run of at least 19 digits. The
# run is looked for in whole blocks of the file (`long_digit_runs`): one C-level pass, so
# the common file without such a run pays nothing per line.
LONG_RUN = b"0" * 19
_DIGITS = bytearray(b" " * 256)
for _digit in b"0123456789":
    _DIGITS[_digit] = ord("0")
DIGITS_TABLE = bytes(_DIGITS)
del _DIGITS, _digit
_BLOCK_BYTES = 1 << 20
# nesting read off the text: brackets only ("{" and "}" count as "[" and "]"), valid when
# no string holds a bracket or an escape (then every bracket in the text is structure)
_BRACKETS_TABLE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
BRACKET_FREE_STRINGS = re.compile(rb'[^"]*(?:"[^"\\\[\]{}]*"[^"]*)*')


class JsonValueError(ValueError):
    """A JSON text or value replicheck will not use; the message says why."""


def _reject_constant(name: str) -> Any:
    raise JsonValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonValueError(f"number {text} is too large for a float")
    return value


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether lists/objects in `value` nest deeper than `limit` (level by level: a poll
    with thousands of `[offset, message]` records costs one type test per item)."""
    level = [value] if type(value) is list or type(value) is dict else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            below += [c for c in children if type(c) is list or type(c) is dict]
        level = below
    return False


def too_deep_text(raw: bytes, value: Any, limit: int = MAX_NESTING) -> bool:
    """`too_deep(value, limit)` for `value` parsed from the valid JSON text `raw`, read
    off the text at C speed when its strings hold no bracket (a poll of hundreds of
    records then costs a few byte passes, not a type test per item).

    Each round deletes every innermost `[]` pair, so the rounds needed to empty the
    bracket skeleton are its nesting depth.
    """
    if b'"' in raw and BRACKET_FREE_STRINGS.fullmatch(raw) is None:
        return too_deep(value, limit)
    skeleton = raw.translate(_BRACKETS_TABLE, _NOT_BRACKETS)
    depth = 0
    while skeleton:
        depth += 1
        if depth > limit:
            return True
        shorter = skeleton.replace(b"[]", b"")
        if len(shorter) == len(skeleton):  # unbalanced: not the text of `value` after all
            return too_deep(value, limit)
        skeleton = shorter
    return False


def deeper_than(text: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether some bracket in `text` (many lines of JSON or EDN whose strings hold no
    bracket) may sit deeper than `limit` levels: True means "look at each line".

    A balanced line's brackets pair up among themselves, so deleting every innermost
    `[]` pair at once (maps counted as lists) empties the whole skeleton in as many rounds
    as the deepest line is deep; brackets left after `limit` rounds belong to a line that
    is too deep or to one that is not balanced (not valid JSON/EDN anyway).
    """
    skeleton = text.translate(_BRACKETS_TABLE, _NOT_BRACKETS)
    for _ in range(limit):
        if not skeleton:
            return False
        shorter = skeleton.replace(b"[]", b"")
        if len(shorter) == len(skeleton):
            return True  # unbalanced somewhere
        skeleton = shorter
    return bool(skeleton)


def nesting_problem(value: Any, limit: int = MAX_NESTING) -> str | None:
    """Why `value` is unusable (nested deeper than `limit`, a lone surrogate), or None."""
    if too_deep(value, limit):
        return f"value nested deeper than {limit} levels"
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            stack.extend(item.values())
            stack.extend(item)
        elif type(item) is list or type(item) is tuple:
            stack.extend(item)
        elif type(item) is str and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "string with a lone surrogate (not valid Unicode)"
    return None


def long_digit_runs(handle: Any) -> list[int]:
    """Byte offsets (ascending) in a seekable binary file where a run of 19 or more digits
    starts — the only places orjson may have rounded an integer. Rewinds `handle`."""
    offsets: list[int] = []
    carry = b""
    start = 0  # file offset of the current chunk
    while block := handle.read(_BLOCK_BYTES):
        chunk = carry + block
        shape = chunk.translate(DIGITS_TABLE)
        found = shape.find(LONG_RUN)
        while found >= 0:
            offsets.append(start + found)
            found = shape.find(LONG_RUN, found + len(LONG_RUN))
        carry = chunk[-(len(LONG_RUN) - 1) :]
        start += len(chunk) - len(carry)
    handle.seek(0)
    return offsets


def loads_line(raw: bytes) -> Any:
    """One JSON value from `raw`, integers exact; raises `JsonValueError`."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise JsonValueError(f"invalid JSON: {exc}") from None
    long_run = LONG_RUN in raw.translate(DIGITS_TABLE)
    return recheck(raw, value, long_run=long_run)


def recheck(raw: bytes, value: Any, *, long_run: bool) -> Any:
    """`value` as orjson read it from `raw`, re-read exactly if orjson may have rounded an
    integer (`long_run`: the line has a 19-digit run); `JsonValueError` if too deep."""
    if long_run and has_float(value):
        return loads_exact(raw)
    # orjson stops at 1024 levels itself; a line with fewer openers than the limit cannot
    # be too deep, so the walk only runs on suspicious lines.
    if (
        len(raw) > 2 * MAX_NESTING
        and raw.count(b"[") + raw.count(b"{") > MAX_NESTING
        and too_deep_text(raw, value)
    ):
        raise JsonValueError(f"value nested deeper than {MAX_NESTING} levels")
    return value


def has_float(value: Any) -> bool:
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


def dumps(value: Any, *, sort_keys: bool = False, indent: bool = False) -> str:
    """JSON text of `value` (non-string keys allowed; `indent`: two spaces); exact for
    integers of any size, where orjson refuses those beyond 64 bits."""
    option = orjson.OPT_NON_STR_KEYS
    option |= orjson.OPT_SORT_KEYS if sort_keys else 0
    option |= orjson.OPT_INDENT_2 if indent else 0
    try:
        return orjson.dumps(value, option=option).decode()
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(
            _str_keys(value),
            ensure_ascii=False,
            sort_keys=sort_keys,
            indent=2 if indent else None,
            separators=(",", ": ") if indent else (",", ":"),
        )
