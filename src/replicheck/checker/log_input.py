"""What the log checker accepts: the send/poll fields of docs/log-checker.md.

`check_log` does not validate every operation up front (that would double the cost of a
million-op history); it checks the few fields its fast path relies on inline and, when
anything is off, asks `log_op_problem` for a precise reason and raises `LogInputError`.
"""

from __future__ import annotations

from typing import Any

from replicheck.model.base import ModelInputError


class LogInputError(ModelInputError):
    """An operation the log checker cannot interpret; `position` is its 0-based place in
    the history (the caller turns it into file:line, see commands/check.py)."""

    def __init__(self, position: int | None, reason: str) -> None:
        super().__init__(position, reason)
        self.position = position
        self.index = position  # the name ModelInputError used before it became `position`


def bad_scalar(value: Any) -> bool:
    """Keys and messages are strings or integers (Jepsen uses integers)."""
    return type(value) is not str and type(value) is not int


def bad_offset(value: Any) -> bool:
    return type(value) is not int or value < 0


def log_op_problem(op: Any, invoke: dict[str, Any] | None = None) -> str | None:
    """Why the log checker cannot use `op` (None if it can). `invoke` is the invocation of
    a completion, which supplies fields the completion may omit (key, start offset)."""
    if not isinstance(op, dict):
        return f"expected an operation object, got {type(op).__name__}"
    for name in ("type", "process", "f"):
        if name not in op:
            return f"missing field {name!r}"
    f, kind = op["f"], op["type"]
    if f not in ("send", "poll"):
        return None
    invoke = invoke or {}
    key = op.get("key", invoke.get("key"))
    if key is None:
        return f"{f} needs 'key' (the partition name)"
    if bad_scalar(key):
        return f"'key' must be a string or an integer, got {key!r}"[:120]
    if f == "send":
        message = op.get("value")
        if message is None:
            message = invoke.get("value")
        if kind in ("invoke", "ok") and bad_scalar(message):
            return f"send's 'value' (the message) must be a string or an integer, got {message!r}"[
                :120
            ]
        if kind == "ok" and bad_offset(op.get("offset")):
            return "an ok send needs 'offset', the non-negative integer it was acknowledged at"
        return None
    start = invoke.get("offset") if kind != "invoke" else op.get("offset")
    if start is None and kind != "invoke":
        start = op.get("offset")
    if bad_offset(start):
        return "poll needs 'offset', the non-negative integer start offset, on its invocation"
    if kind == "ok":
        records = op.get("value")
        if records is None:
            return None
        if not isinstance(records, list):
            return "an ok poll's 'value' must be a list of [offset, message] pairs"
        for i, record in enumerate(records):
            if not isinstance(record, list | tuple) or len(record) != 2:
                return f"poll record {i} must be [offset, message], got {record!r}"[:120]
            if bad_offset(record[0]):
                return f"poll record {i}: offset must be a non-negative integer"
            if bad_scalar(record[1]):
                return f"poll record {i}: message must be a string or an integer"
    return None
