"""A fast path for the EDN op lines Jepsen writes most often, at C speed.

The full reader (`replicheck.checker.edn`) walks tokens in Python: fine for a few thousand
ops, too slow for a million. Most Jepsen lines use only maps, vectors, keywords, plain
integers, `nil`, booleans and short word-like strings, and for that vocabulary EDN can be
rewritten into JSON text with a few C-level byte operations over a whole block of lines
and handed to `orjson`, which builds the dicts itself:

- a map key (a keyword, an integer or a word-like string right after `{` or `, `, and
  followed by one space, as Clojure prints maps) becomes a JSON key: `{:type ` →
  `{"type":`, `, 3 ` → `,"\\t3":` (an integer key is tagged by a tab, which the
  screening below keeps out of every accepted line, and turned back into an int after
  parsing: `int` ignores the tab, so a poll's result is restored at C speed);
- the other spaces → commas; `:name` → `"name"`; `nil` → `null`.

Why this cannot change a value: the rewrite keeps every token (translated one to one)
and every bracket, and only chooses, for each gap between two elements, whether it
becomes `,` or `:`. EDN pairs a map's elements in order whatever separates them, and JSON
accepts a text only if each object alternates key `:` value `,` and each array uses
commas, so any rewrite that orjson accepts pairs the same elements as the EDN reader.
A wrong guess (a vector written with commas, a map without them) gives invalid JSON.

`parse_fast_op(raw)` returns the parsed op, or `None` whenever the line uses anything else
(sets, tags, lists, symbols, escapes, tabs, 19+ digit integers that might not fit in 64
bits, strings with separators in them, map keys of other types, ...) or whenever the
rewritten text is not valid JSON: the caller then uses the full reader, which is the
authority. Property tests check that both readers agree wherever the fast path answers.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from replicheck.checker.json_values import deeper_than, too_deep_text

#: the full reader's nesting bound (values nested deeper are an input error there)
MAX_NESTING = 64
# digits → "0" and unsupported characters → "#", so two substring tests do the screening
# (NUL is screened too: the rewrite uses it as its key marker)
_UNSUPPORTED = b"#\\;()'`~@^\t\r\x00"
_SCREEN = bytes.maketrans(b"123456789" + _UNSUPPORTED, b"0" * 9 + b"#" * len(_UNSUPPORTED))
_LONG_NUMBER = b"0" * 19  # may not fit in 64 bits: orjson would turn it into a float
_STRINGS_OK = re.compile(rb'[^"]*(?:"[\w./\-]*"[^"]*)*')
_KEYWORD = rb":[A-Za-z*+!_?<>=\-][\w*+!?<>=.\-/]*"
# one split finds every keyword and every map key (a keyword, integer or word-like string
# after `{` or `, ` and before one space, as Clojure prints maps), a key together with a
# keyword value or the keyword opening its vector value (`, :f :send`, `, :value [[:poll`:
# fewer, longer tokens); what it captures is looked up in `_TOKEN_JSON`, so the rewrite
# costs no Python call per token
_TOKEN_SPLIT = re.compile(
    # one leading character class lets the regex engine skip to candidates at C speed
    b"([{,:](?:(?<=[{,]) ?(?:"
    + _KEYWORD
    + rb'|-?\d+|"[\w./\-]*") (?:\[*'
    + _KEYWORD
    + b")?|(?<=:)"
    + _KEYWORD[1:]
    + b"))"
)
_INT_TAG = "\t"
_INT_TAG_TEXT = b'"\\t'  # how a tagged key starts in the JSON text
#: captured token → its JSON form (a key's colon is a NUL until the separators are done)
_TOKEN_JSON: dict[bytes, bytes] = {}
_TOKEN_CACHE_MAX = 1 << 14

#: blocks shorter than this are parsed line by line (the halving of a failed block stops)
BLOCK_MIN_LINES = 16


def parse_fast_op(raw: bytes) -> dict[str, Any] | None:
    """One EDN op line as a dict, or None if the fast path does not apply to it."""
    screened = raw.translate(_SCREEN)
    if b"#" in screened or _LONG_NUMBER in screened or b"null" in raw:
        return None
    if b'"' in raw and _STRINGS_OK.fullmatch(raw) is None:
        return None
    text = raw.strip()
    if not text.startswith(b"{") or b"\n" in text:
        return None
    text = _rewrite(text)
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if type(value) is not dict:
        return None
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and too_deep_text(raw, value, MAX_NESTING):
        # the full reader reports it (strings here hold no brackets: the text's
        # bracket skeleton is the structure)
        return None
    if _INT_TAG_TEXT in text:
        return _int_keys(value, text.count(_INT_TAG_TEXT))
    return value


def _token_json(token: bytes) -> bytes:
    if token.startswith(b":"):
        return b'"' + token[1:] + b'"'  # a keyword that is not a map key
    opener, token = token[:1], token[1:].lstrip(b" ")
    key, value = token.split(b" ", 1)
    if value:  # a keyword value, or brackets and a keyword
        brackets = value[: value.index(b":")]
        value = brackets + b'"' + value[len(brackets) + 1 :] + b'"'
    if key.startswith(b":"):
        return opener + b'"' + key[1:] + b'"\x00' + value
    if key.startswith(b'"'):
        return opener + key + b"\x00" + value
    return opener + _INT_TAG_TEXT + key + b'"\x00' + value


def _rewrite(text: bytes) -> bytes:
    """EDN text (one line, or many: nothing here crosses a newline) as JSON text."""
    parts = _TOKEN_SPLIT.split(text)
    tokens = parts[1::2]
    try:
        parts[1::2] = map(_TOKEN_JSON.__getitem__, tokens)  # C-level: no call per token
    except KeyError:
        if len(_TOKEN_JSON) > _TOKEN_CACHE_MAX:
            _TOKEN_JSON.clear()  # adversarial vocabularies must not grow it forever
        for token in set(tokens).difference(_TOKEN_JSON):
            _TOKEN_JSON[token] = _token_json(token)
        parts[1::2] = map(_TOKEN_JSON.__getitem__, tokens)
    text = (
        b"".join(parts)
        # a colon left now is none of the tokens above: make it invalid JSON, so that
        # only the keys' NULs become JSON's colons
        .replace(b":", b"#")
        .replace(b" ", b",")
        .replace(b",,", b",")
        .replace(b"[,", b"[")
        .replace(b",]", b"]")
        .replace(b",}", b"}")
    )
    if b"nil" in text:
        # a nil token now follows ",", "[" or a key's NUL; a symbol starting with "nil"
        # becomes invalid JSON, and keywords/strings are quoted
        text = (
            text.replace(b",nil", b",null")
            .replace(b"[nil", b"[null")
            .replace(b"\x00nil", b"\x00null")
        )
    return text.replace(b"\x00", b":")


def _int_keys(op: dict[str, Any], tagged: int) -> dict[str, Any] | None:
    """`op` with its `#`-tagged keys turned back into the integers they were, or None if
    fewer than `tagged` of them were found (a repeated key: the full reader decides)."""
    mops = op.get("value")
    if type(mops) is list and len(mops) == 1:
        # the common shape: one poll, every key of its result an integer
        mop = mops[0]
        if type(mop) is list and len(mop) == 2 and type(mop[1]) is dict:
            polled = mop[1]
            if len(polled) == tagged and "".join(polled).count(_INT_TAG) == tagged:
                mop[1] = dict(zip(map(int, polled), polled.values(), strict=True))
                return op
    left = [tagged]
    op = _walk(op, left)
    return None if left[0] else op


def _untag(value: dict[Any, Any], left: list[int]) -> dict[Any, Any]:
    tag = _INT_TAG
    if not any(type(k) is str and k[:1] == tag for k in value):
        return value
    out = {}
    for k, v in value.items():
        if type(k) is str and k[:1] == tag:
            left[0] -= 1
            out[int(k[1:])] = v
        else:
            out[k] = v
    return out


def _walk(value: Any, left: list[int]) -> Any:
    """Untag every map below `value` (depth is bounded by the nesting check)."""
    if type(value) is dict:
        value = _untag(value, left)
        for k, v in value.items():
            if not left[0]:
                break
            if type(v) is dict or type(v) is list:
                value[k] = _walk(v, left)
    elif type(value) is list:
        for i, v in enumerate(value):
            if not left[0]:
                break
            if type(v) is dict or type(v) is list:
                value[i] = _walk(v, left)
    return value


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
        or b"null" in blob  # EDN's symbol `null` (JSON's null comes from `nil` only)
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
    decode_error = orjson.JSONDecodeError
    for line, piece in zip(lines, pieces, strict=False):
        try:
            value = loads(piece)
        except decode_error:
            out.append(parse_fast_op(line))  # the line's own checks decide
            continue
        # (a JSON object's text starts with "{", so the line did too)
        if type(value) is dict and (shallow or line.count(b"[") + line.count(b"{") <= MAX_NESTING):
            tagged = piece.count(_INT_TAG_TEXT)
            out.append(_int_keys(value, tagged) if tagged else value)
        else:
            out.append(parse_fast_op(line))
