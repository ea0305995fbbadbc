"""A fast path for the EDN op lines Jepsen writes most often, at C speed.

The full reader (`replicheck.checker.edn`) walks tokens in Python: fine for a few thousand
ops, too slow for a million. Most Jepsen lines use only maps, vectors, keywords, plain
integers, `nil`, booleans and short word-like strings, and for that vocabulary EDN can be
rewritten into JSON text with a few C-level byte operations and handed to `orjson`:

- `{` → `["\\u0000",` (a map becomes a list tagged by a NUL string, turned back into a
  dict after parsing, so maps stay distinguishable from vectors), `}` → `]`;
- spaces → commas (EDN separates elements by whitespace, JSON by commas);
- `:name` → `"name"` (one C-level `re.split` and a join: a substitution template would
  cost a Python call per keyword), `nil` → `null`.

`parse_fast_op(raw)` returns the parsed op, or `None` whenever the line uses anything else
(sets, tags, lists, symbols, escapes, tabs, 19+ digit integers that might not fit in 64
bits, strings with separators in them, ...) or whenever the rewritten text is not valid
JSON: the caller then uses the full reader, which is the authority. Rewriting can only turn
unsupported EDN into *invalid* JSON, never into different valid JSON, and a property test
checks that both readers agree wherever the fast path answers.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from replicheck.checker.json_values import deeper_than, too_deep_text

_MAP_TAG = "\x00"
#: the full reader's nesting bound (values nested deeper are an input error there)
MAX_NESTING = 64
# digits → "0" and unsupported characters → "#", so two substring tests do the screening
_UNSUPPORTED = b"#\\;()'`~@^\t\r\x00"
_SCREEN = bytes.maketrans(b"123456789" + _UNSUPPORTED, b"0" * 9 + b"#" * len(_UNSUPPORTED))
_LONG_NUMBER = b"0" * 19  # may not fit in 64 bits: orjson would turn it into a float
_STRINGS_OK = re.compile(rb'[^"]*(?:"[\w./\-]*"[^"]*)*')
_KEYWORD_SPLIT = re.compile(rb":([A-Za-z*+!_?<>=\-][\w*+!?<>=.\-/]*)")


class _Unsupported(Exception):
    """Raised inside the map fix-up for input the fast path must leave to the full reader."""


#: blocks shorter than this are parsed line by line (the halving of a failed block stops)
BLOCK_MIN_LINES = 16


def parse_fast_op(raw: bytes) -> dict[str, Any] | None:
    """One EDN op line as a dict, or None if the fast path does not apply to it."""
    screened = raw.translate(_SCREEN)
    if b"#" in screened or _LONG_NUMBER in screened:
        return None
    if b'"' in raw and _STRINGS_OK.fullmatch(raw) is None:
        return None
    text = raw.strip()
    if not text.startswith(b"{") or b"\n" in text:
        return None
    text = _rewrite(text)
    try:
        value = orjson.loads(text)
        if type(value) is not list or not value or value[0] != _MAP_TAG:
            return None
        if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and too_deep_text(
            raw, value, MAX_NESTING
        ):
            # the full reader reports it (strings here hold no brackets: the text's
            # bracket skeleton is the structure, maps counted as the lists they are here)
            return None
        return _to_op(value, text)
    except (orjson.JSONDecodeError, _Unsupported, TypeError, RecursionError):
        # TypeError: an unhashable (composite) map key; RecursionError: maps nested deeper
        # than the fix-up walks (the full reader bounds nesting with a clear error)
        return None


def _rewrite(text: bytes) -> bytes:
    """EDN text (one line, or many: nothing here crosses a newline) as JSON text."""
    text = (
        text.replace(b"{}", b'["\\u0000"]')
        .replace(b"{", b'["\\u0000",')
        .replace(b"}", b"]")
        .replace(b" ", b",")
        .replace(b",,", b",")
        .replace(b"[,", b"[")
        .replace(b",]", b"]")
    )
    text = b'"'.join(_KEYWORD_SPLIT.split(text))
    if b"nil" in text:
        # after the rewrite a nil token follows "," or "["; a symbol starting with "nil"
        # becomes invalid JSON, and keywords/strings are quoted, so nothing else matches
        text = text.replace(b",nil", b",null").replace(b"[nil", b"[null")
    return text


def _to_op(value: list[Any], text: bytes) -> dict[str, Any]:
    """The op map of a parsed, NUL-tagged line (`text`: its JSON form)."""
    maps = text.count(b'"\\u0000"')
    if maps <= 2:
        op = _op_with_polls(value, maps)
        if op is not None:
            return op
        value = orjson.loads(text)  # the shortcut declined: start again, generally
    result = _maps(value, [maps])
    assert type(result) is dict  # a tagged list of even length (checked by _pairs)
    return result


def parse_fast_block(lines: list[bytes]) -> list[dict[str, Any] | None]:
    """`[parse_fast_op(line) for line in lines]`, with the byte rewriting and the checks
    done once over the whole block (one C-level pass each, not one Python call per line).

    Each line must end with its only newline (the last one may lack it), as a file's lines
    do. A block that fails a check is halved until the lines that fail are found, and any
    line the block's rewrite does not turn into an op map is parsed on its own.
    """
    out: list[dict[str, Any] | None] = []
    if lines and not lines[-1].endswith(b"\n"):
        _block(lines[:-1], out)
        out.append(parse_fast_op(lines[-1]))
    else:
        _block(lines, out)
    return out


def _block(lines: list[bytes], out: list[dict[str, Any] | None]) -> None:
    if len(lines) < BLOCK_MIN_LINES:
        out.extend([parse_fast_op(line) for line in lines])
        return
    blob = b"".join(lines)
    screened = blob.translate(_SCREEN)
    if (
        b"#" in screened
        or _LONG_NUMBER in screened
        or (b'"' in blob and _STRINGS_OK.fullmatch(blob) is None)
    ):
        half = len(lines) // 2
        _block(lines[:half], out)
        _block(lines[half:], out)
        return
    shallow = not deeper_than(blob, MAX_NESTING)
    pieces = _rewrite(blob).split(b"\n")
    assert len(pieces) == len(lines) + 1, "one newline per line"
    loads = orjson.loads
    for line, piece in zip(lines, pieces, strict=False):
        try:
            value = loads(piece)
            if (
                type(value) is not list
                or not value
                or value[0] != _MAP_TAG
                or not (shallow or line.count(b"[") + line.count(b"{") <= MAX_NESTING)
            ):
                out.append(parse_fast_op(line))  # the line's own checks decide
                continue
            out.append(_to_op(value, piece))
        except (orjson.JSONDecodeError, _Unsupported, TypeError, RecursionError):
            out.append(parse_fast_op(line))


def _pairs(tagged: list[Any]) -> dict[str, Any]:
    if not len(tagged) % 2:
        raise _Unsupported
    items = iter(tagged)
    next(items)
    return dict(zip(items, items, strict=False))


def _op_with_polls(value: list[Any], maps: int) -> dict[str, Any] | None:
    """The common shapes without a recursive walk: an op map whose only other map (if
    any) is a poll micro-op's result, `[... [:poll {k records}] ...]`. None otherwise."""
    op = _pairs(value)
    if maps == 1:
        return op
    mops = op.get("value")
    if type(mops) is list:
        for mop in mops:
            if type(mop) is list and len(mop) == 2 and type(mop[1]) is list:
                polled = mop[1]
                if polled and polled[0] == _MAP_TAG:
                    mop[1] = _pairs(polled)
                    return op
    return None


def _maps(value: list[Any], remaining: list[int]) -> Any:
    """Turn NUL-tagged lists back into dicts, in place where possible.

    `remaining[0]` counts the maps not yet converted; once it reaches zero nothing below
    is walked (the record lists of a poll are never visited).
    """
    if value and value[0] == _MAP_TAG:
        if not len(value) % 2:
            raise _Unsupported
        remaining[0] -= 1
        items = iter(value)
        next(items)
        out = dict(zip(items, items, strict=False))
        if remaining[0]:
            for key, item in out.items():
                if type(item) is list:
                    out[key] = _maps(item, remaining)
        return out
    if remaining[0]:
        for i, item in enumerate(value):
            if type(item) is list:
                value[i] = _maps(item, remaining)
                if not remaining[0]:
                    break
    return value
