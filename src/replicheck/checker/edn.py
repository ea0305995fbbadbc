"""A small, fast reader for the EDN subset that Jepsen histories use.

Why not `edn_format`? It is correct and maintained, but it costs about 1.4 ms per op map
(a PLY parser): a 100k-op Jepsen history would take minutes. Jepsen writes one op map per
line with a narrow vocabulary — maps, vectors, lists, sets, keywords, strings, numbers,
nil and booleans, occasionally `#inst` — so a regex tokenizer and a stack parser cover it
at a few microseconds per op. `edn_format` stays in the test suite as the oracle this
reader is checked against.

Mapping to the JSON-shaped ops the checkers expect: keywords become their name without
the colon (`:invoke` → `"invoke"`, `:a/b` → `"a/b"`), nil → None, vectors/lists → lists,
sets → lists, `#inst "…"` → the string, other tagged values → their value.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from replicheck.checker.json_values import MAX_NESTING

_TOKEN = re.compile(
    r"""
    (?P<ws>[\s,]+|;[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<open>\#\{|[\[{(])
  | (?P<close>[\]})])
  | (?P<tag>\#[A-Za-z][\w.\-/]*)
  | (?P<discard>\#_)
  | (?P<char>\\(?:newline|space|tab|return|u[0-9a-fA-F]{4}|.))
  | (?P<atom>[^\s,;"\[\]{}()\\]+)
    """,
    re.VERBOSE,
)

_INT = re.compile(r"[+-]?\d+N?\Z")
_FLOAT = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?M?\Z")
_RATIO = re.compile(r"[+-]?\d+/\d+\Z")
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}
_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r"}
_CLOSER = {"{": "}", "#{": "}", "[": "]", "(": ")"}


class EdnError(ValueError):
    """The text is not EDN we can read; the message says where and why."""


def _hex4(text: str) -> int:
    if len(text) != 4 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise EdnError(f"bad unicode escape \\u{text}")
    return int(text, 16)


def _code_point(high: int, body: str, i: int) -> tuple[str, int]:
    """The character of `\\uXXXX` at `body[i]` (a surrogate pair takes two escapes)."""
    if 0xDC00 <= high <= 0xDFFF:
        raise EdnError(f"lone surrogate \\u{high:04x}")
    if 0xD800 <= high <= 0xDBFF:
        if body[i : i + 2] == "\\u":
            low = _hex4(body[i + 2 : i + 6])
            if 0xDC00 <= low <= 0xDFFF:
                return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), i + 6
        raise EdnError(f"lone surrogate \\u{high:04x}")
    return chr(high), i


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u":
            text, i = _code_point(_hex4(body[i + 2 : i + 6]), body, i + 6)
            out.append(text)
        elif nxt in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[nxt])
            i += 2
        else:
            raise EdnError(f"unknown string escape \\{nxt}")
    return "".join(out)


def _number(text: str) -> float:
    value = float(text.rstrip("M"))
    if value in (float("inf"), float("-inf")):
        raise EdnError(f"number {text} is too large for a float")
    return value


def _ratio(text: str) -> int | float:
    """A ratio, exactly: an integer, or a float only if the float is exact."""
    try:
        numerator, denominator = (int(part) for part in text.split("/"))
    except ValueError:
        raise EdnError(f"ratio of {len(text)} characters is too long") from None
    if denominator == 0:
        raise EdnError(f"ratio {text} divides by zero")
    value = Fraction(numerator, denominator)
    if value.denominator == 1:
        return int(value)
    try:
        approx = float(value)
    except OverflowError:
        raise EdnError(f"ratio {text} is too large for a float") from None
    if Fraction(approx) != value:
        raise EdnError(f"ratio {text} has no exact float value")
    return approx


def _atom(text: str) -> Any:
    if text[0] == ":":
        if len(text) == 1:
            raise EdnError("empty keyword ':'")
        return text[1:]
    if text == "nil":
        return None
    if text == "true":
        return True
    if text == "false":
        return False
    if _INT.match(text):
        try:
            return int(text.rstrip("N"))
        except ValueError:  # beyond Python's int-from-text digit limit
            raise EdnError(f"integer with {len(text)} digits is too long") from None
    if _FLOAT.match(text):
        return _number(text)
    if _RATIO.match(text):
        return _ratio(text)
    return text  # a symbol: keep its name


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _hashable(v)) for k, v in value.items()))
    return value


def loads(text: str) -> Any:
    """Parse exactly one EDN value from `text`."""
    # Each stack frame: [opener, items]; `pending_tags` counts tags waiting for a value.
    stack: list[tuple[str, list[Any]]] = []
    result: list[Any] = []
    discard_depths: list[int] = []

    def emit(value: Any) -> None:
        if discard_depths and discard_depths[-1] == len(stack):
            discard_depths.pop()
            return
        if stack:
            stack[-1][1].append(value)
        else:
            result.append(value)

    position = 0
    end = len(text)
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None:
            raise EdnError(f"unexpected character {text[position]!r} at column {position + 1}")
        position = match.end()
        kind = match.lastgroup
        token = match.group()
        if kind == "ws":
            continue
        if kind == "string":
            emit(_unescape(token[1:-1]))
        elif kind == "atom":
            emit(_atom(token))
        elif kind == "open":
            if len(stack) >= MAX_NESTING:
                raise EdnError(f"value nested deeper than {MAX_NESTING} levels")
            stack.append((token, []))
        elif kind == "close":
            if not stack:
                raise EdnError(f"unbalanced {token!r} at column {match.start() + 1}")
            opener, items = stack.pop()
            if _CLOSER[opener] != token:
                raise EdnError(f"{opener!r} closed by {token!r} at column {match.start() + 1}")
            if opener == "{":
                if len(items) % 2:
                    raise EdnError("map literal with an odd number of forms")
                emit({_hashable(items[i]): items[i + 1] for i in range(0, len(items), 2)})
            else:
                emit(items)
        elif kind == "tag":
            continue  # #inst "…", #uuid "…", #jepsen.foo{…}: keep the tagged value itself
        elif kind == "discard":
            discard_depths.append(len(stack))
        elif kind == "char":
            body = token[1:]
            if len(body) == 5 and body[0] == "u":
                emit(_code_point(_hex4(body[1:]), "", 0)[0])
            else:
                emit(_CHARS.get(body, body))
    if stack:
        raise EdnError(f"unterminated {stack[-1][0]!r}")
    if len(result) != 1:
        raise EdnError("expected exactly one value" if result else "empty input")
    return result[0]


def parse_edn_op(line: str) -> Any:
    """Parse one Jepsen op map line; validation of its fields is the caller's job."""
    return loads(line)
