"""The kafka workload's client (jepsen-io/maelstrom doc/workloads.md, "Workload: Kafka").

A client is one history process with at most one outstanding request. It keeps, per key,
its poll position (the next offset to read) and the highest offset it has polled, which is
what it commits -- as Maelstrom's client does. A client that does not know a key yet (a new
client, or one that crashed) first asks for the committed offsets and starts polling from
the committed offset, or from 0 (Maelstrom's `assign`).

Replies become completions: `*_ok` → `ok`; an error with a definite code → `fail`; any
other error, or no reply within `request_timeout_ms` → `info` (it may have happened).
A reply of the wrong shape is the node's protocol error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from replicheck.nodes.errors import NodeProtocolError
from replicheck.nodes.protocol import error_name, is_definite
from replicheck.nodes.recorder import HistoryRecorder

Transmit = Callable[[str, str, dict[str, Any]], None]  # (src client, dest node, body)


@dataclass
class Pending:
    invoke: dict[str, Any]
    msg_id: int
    node: str
    deadline_ms: float
    then_poll: str | None = None  # a list done to assign a key, followed by a poll of it


class KafkaClient:
    def __init__(
        self,
        name: str,
        process: int,
        history: HistoryRecorder,
        transmit: Transmit,
        request_timeout_ms: float,
    ) -> None:
        self.name = name
        self.process = process
        self.history = history
        self.transmit = transmit
        self.request_timeout_ms = request_timeout_ms
        self.positions: dict[str, int] = {}
        self.polled_max: dict[str, int] = {}
        self.pending: Pending | None = None
        self.next_msg_id = 1
        self.last_completion: dict[str, Any] | None = None

    @property
    def idle(self) -> bool:
        return self.pending is None

    # -- requests ------------------------------------------------------------------------------

    def _request(
        self, now_ms: float, node: str, f: str, body: dict[str, Any], **fields: Any
    ) -> None:
        assert self.idle, f"{self.name} already has an outstanding request"
        invoke = self.history.invoke(now_ms, self.process, f, node=node, **fields)
        msg_id = self.next_msg_id
        self.next_msg_id += 1
        self.pending = Pending(invoke, msg_id, node, now_ms + self.request_timeout_ms)
        self.transmit(self.name, node, {**body, "msg_id": msg_id})

    def send(self, now_ms: float, node: str, key: str, msg: Any) -> None:
        self._request(
            now_ms, node, "send", {"type": "send", "key": key, "msg": msg}, key=key, value=msg
        )

    def poll(self, now_ms: float, node: str, key: str) -> None:
        """Poll `key` from this client's position; an unknown key is assigned first."""
        if key not in self.positions:
            self.list(now_ms, node, [key])
            assert self.pending is not None
            self.pending.then_poll = key
            return
        start = self.positions[key]
        self._request(
            now_ms,
            node,
            "poll",
            {"type": "poll", "offsets": {key: start}},
            key=key,
            offset=start,
            value=None,
        )

    def poll_from(self, now_ms: float, node: str, key: str, start: int) -> None:
        """A final-read poll from an explicit offset."""
        self._request(
            now_ms,
            node,
            "poll",
            {"type": "poll", "offsets": {key: start}},
            key=key,
            offset=start,
            value=None,
            final=True,
        )

    def commit(self, now_ms: float, node: str, key: str, offset: int) -> None:
        self._request(
            now_ms,
            node,
            "commit_offsets",
            {"type": "commit_offsets", "offsets": {key: offset}},
            value={key: offset},
        )

    def list(self, now_ms: float, node: str, keys: list[str]) -> None:
        self._request(
            now_ms,
            node,
            "list_committed_offsets",
            {"type": "list_committed_offsets", "keys": list(keys)},
            value=list(keys),
        )

    # -- completions ---------------------------------------------------------------------------

    def expire(self, now_ms: float) -> None:
        """No reply by the deadline: the operation may or may not have happened."""
        if self.pending is not None and now_ms >= self.pending.deadline_ms:
            self._complete(now_ms, "info", error="timeout")

    def crash(self, now_ms: float) -> None:
        """The client process dies: its outstanding operation's outcome is unknown."""
        if self.pending is not None:
            self._complete(now_ms, "info", error="client-crash", chain=False)

    def on_reply(
        self, now_ms: float, node: str, body: dict[str, Any], line_number: int, line: str
    ) -> None:
        pending = self.pending
        if pending is None or body.get("in_reply_to") != pending.msg_id or node != pending.node:
            return  # a late reply to a request that already timed out
        kind = body["type"]
        if kind == "error":
            code = body.get("code")
            outcome = "fail" if is_definite(code) else "info"
            self._complete(now_ms, outcome, error=error_name(code), chain=False)
            return
        f = pending.invoke["f"]
        expected = {
            "send": "send_ok",
            "poll": "poll_ok",
            "commit_offsets": "commit_offsets_ok",
            "list_committed_offsets": "list_committed_offsets_ok",
        }[f]
        if kind != expected:
            raise NodeProtocolError(
                node,
                f"reply to {f} has type {kind!r}, expected {expected!r}",
                line_number=line_number,
                line=line,
            )
        try:
            fields = _ok_fields(f, pending.invoke, body)
        except ValueError as exc:
            raise NodeProtocolError(node, str(exc), line_number=line_number, line=line) from None
        self._complete(now_ms, "ok", **fields)

    def _complete(self, now_ms: float, kind: str, *, chain: bool = True, **fields: Any) -> None:
        pending = self.pending
        assert pending is not None
        self.pending = None
        op = self.history.complete(now_ms, pending.invoke, kind, **fields)
        self.last_completion = op
        f = op["f"]
        if kind == "ok" and f == "poll" and op["value"]:
            key = op["key"]
            last = op["value"][-1][0]
            self.positions[key] = last + 1
            self.polled_max[key] = max(self.polled_max.get(key, -1), max(o for o, _ in op["value"]))
        if kind == "ok" and f == "list_committed_offsets" and pending.then_poll is not None:
            key = pending.then_poll
            self.positions.setdefault(key, op["value"].get(key, 0))
            if chain:
                self.poll(now_ms, pending.node, key)


def _ok_fields(f: str, invoke: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The completion fields of an `ok` reply; ValueError names what is malformed."""
    if f == "send":
        offset = body.get("offset")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError("send_ok needs a non-negative integer 'offset'")
        return {"offset": offset}
    if f == "poll":
        msgs = body.get("msgs", {})
        if not isinstance(msgs, dict):
            raise ValueError("poll_ok 'msgs' must be an object of key → [[offset, msg], ...]")
        pairs = msgs.get(invoke["key"], [])
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and _is_int(p[0]) and p[0] >= 0 for p in pairs
        ):
            raise ValueError(
                "poll_ok msgs must be lists of [offset, msg] pairs with integer offsets"
            )
        return {"value": [[o, m] for o, m in pairs]}
    if f == "commit_offsets":
        return {}
    offsets = body.get("offsets", {})
    if not isinstance(offsets, dict) or not all(_is_int(v) for v in offsets.values()):
        raise ValueError("list_committed_offsets_ok 'offsets' must map keys to integer offsets")
    return {"value": {k: v for k, v in offsets.items() if k in invoke["value"]}}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
