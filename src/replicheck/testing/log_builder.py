"""A small builder for hand-written send/poll histories (tests, examples, bug reports).

Operations are appended in real-time order and numbered by `index`; the two-step forms
(`invoke_*` then `complete_*`) express concurrency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from replicheck.model.base import Record

#: one record a poll returned: (offset, message), as a list or a tuple
PolledRecord = Sequence[Any]

KEY = "orders-0"


class LogHistory:
    """Append operations in real-time order; `ops` is the history."""

    def __init__(self) -> None:
        self.ops: list[Record] = []

    def _add(self, **op: Any) -> int:
        index = len(self.ops)
        op["index"] = index
        self.ops.append(op)
        return index

    # two-step forms, for concurrency
    def invoke_send(self, process: int, message: str, key: str = KEY) -> int:
        return self._add(process=process, type="invoke", f="send", key=key, value=message)

    def complete_send(
        self, process: int, message: str, offset: int | None, type: str = "ok", key: str = KEY
    ) -> int:
        op: Record = {"process": process, "type": type, "f": "send", "key": key, "value": message}
        if type == "ok":
            op["offset"] = offset
        else:
            op["error"] = "REQUEST_TIMED_OUT" if type == "info" else "NOT_ENOUGH_REPLICAS"
        return self._add(**op)

    def invoke_poll(self, process: int, start: int, key: str = KEY, final: bool = False) -> int:
        op: Record = {"process": process, "type": "invoke", "f": "poll", "key": key}
        op["offset"] = start
        op["value"] = None
        if final:
            op["final"] = True
        return self._add(**op)

    def complete_poll(
        self,
        process: int,
        start: int,
        records: Sequence[PolledRecord],
        key: str = KEY,
        final: bool = False,
        type: str = "ok",
    ) -> int:
        op: Record = {"process": process, "type": type, "f": "poll", "key": key, "offset": start}
        op["value"] = [list(r) for r in records] if type == "ok" else None
        if final:
            op["final"] = True
        return self._add(**op)

    # one-step forms: the completion follows its invocation immediately
    def send(
        self, process: int, message: str, offset: int | None, type: str = "ok", key: str = KEY
    ) -> int:
        self.invoke_send(process, message, key)
        return self.complete_send(process, message, offset, type, key)

    def poll(
        self,
        process: int,
        start: int,
        records: Sequence[PolledRecord],
        key: str = KEY,
        final: bool = False,
    ) -> int:
        self.invoke_poll(process, start, key, final)
        return self.complete_poll(process, start, records, key, final)

    def log(self, messages: list[str], process: int = 0, key: str = KEY) -> None:
        """Acknowledged sends of `messages` at offsets 0.. by one process."""
        for offset, message in enumerate(messages):
            self.send(process, message, offset, key=key)
