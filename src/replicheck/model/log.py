"""A Kafka topic-partition as a sequential specification, one per `key` (strict level).

This is the opt-in strict level of `replicheck check --model log --linearizable`: every
operation takes effect at one instant between its invocation and its completion. What a
poll may return is what Kafka's consumer may return, nothing stronger:

- `send` (ok) lands at its acknowledged `offset`, which must be above every offset already
  in the log. Offsets may have holes (transaction markers, compaction, aborted batches):
  an offset no acknowledged send claims may stay empty. An `info` send may land or never;
  its record's offset is *floating*: anything above the record before it (so a hole may
  precede it). One no poll ever saw is dropped, since adding a record nobody read can only
  make a poll or a later send fit worse.
- `poll` (ok) returns a *contiguous run* of the log (no record left out between two it
  returned) that starts at the first record at or after its start offset, of any length
  ≥ 1 when such a record exists (fetch limits cut polls short), and nothing (`[]`) only if
  no record at or after the start exists at that instant. A start of `None` (a Jepsen poll
  whose consumer position is unknown) puts no constraint on where the run starts.

So the strict level adds to the anomaly checks exactly one thing: real-time recency (a
poll invoked after an acknowledgement that misses it or reads nothing is a stale read).
Floating offsets are read leniently (a poll may place an info record at any offset its
neighbours allow, and two polls need not agree: that disagreement is the anomaly checker's
`inconsistent-offsets`), so the strict level never rejects for a hole it cannot see.

The state is a node in a trie of logs (`LogNode`): appending the same record to the same
log yields the same node, so states compare and hash by identity in O(1) however long the
log grows (the search caches states).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from replicheck.model.base import (
    REJECT,
    Call,
    Model,
    ModelInputError,
    Record,
    Reject,
    StepFn,
    describe_value,
    freeze,
)


class LogNode:
    """A log: its last record (offset, message), the log before it. Interned per root."""

    __slots__ = ("_kid", "_kid_key", "_more", "floor", "length", "msg", "offset", "parent")

    def __init__(self, parent: LogNode | None, msg: Any, offset: int | None = -1) -> None:
        self.parent = parent
        self.msg = msg
        self.offset = offset  # -1 for the empty log; None: floating (an info send's record)
        # the lowest offset this record can have
        if offset is None:
            assert parent is not None, "a floating record is appended to a log"
            offset_floor = parent.floor + 1
        else:
            offset_floor = offset
        self.floor: int = offset_floor
        self.length: int = 0 if parent is None else parent.length + 1
        self._kid_key: Any = None
        self._kid: LogNode | None = None  # most logs have one successor: no dict for it
        self._more: dict[Any, LogNode] | None = None

    def append(self, msg: Any, offset: int | None = None) -> LogNode:
        """The log with `msg` at `offset` appended (`None`: a floating offset); the same
        object every time for the same record."""
        assert offset is None or offset > self.floor, "offsets only grow"
        key = (offset, msg)
        kid = self._kid
        if kid is not None and self._kid_key == key:
            return kid
        if kid is None:
            kid = LogNode(self, msg, offset)
            self._kid_key, self._kid = key, kid
            return kid
        more = self._more
        if more is None:
            more = self._more = {}
        found = more.get(key)
        if found is None:
            found = more[key] = LogNode(self, msg, offset)
        return found

    def messages(self) -> list[Any]:
        """The whole log's messages, oldest first (O(length); for reports only)."""
        return [msg for _, msg in self.records()]

    def records(self) -> list[tuple[int | None, Any]]:
        out: list[tuple[int | None, Any]] = []
        node: LogNode | None = self
        while node is not None and node.parent is not None:
            out.append((node.offset, node.msg))
            node = node.parent
        out.reverse()
        return out

    def __repr__(self) -> str:
        return f"LogNode(length={self.length}, offset={self.offset}, floor={self.floor})"


class LogModel(Model[LogNode]):
    """Kafka's per-partition contract, read linearizably (see the module docstring)."""

    name = "log"

    def __init__(self, max_records: int | None = None) -> None:
        """`max_records` is accepted for compatibility and no longer needed: any poll may
        stop short (Kafka's fetch limits are not only `max.poll.records`)."""
        assert max_records is None or max_records >= 1
        self.max_records = max_records

    def init(self) -> LogNode:
        return LogNode(None, None)

    def compile(self, call: Call) -> StepFn[LogNode] | None:
        """Sends and polls; any other `f` is left out, as the log-anomaly checker does."""
        if call.f == "send":
            return _compile_send(call)
        if call.f != "poll" or call.status != "ok":
            return None
        return _compile_poll(call)

    def is_read_only(self, call: Call) -> bool:
        return call.f == "poll"

    def unobservable(self, calls: Sequence[Call]) -> set[int]:
        """Info sends whose message no poll returned."""
        seen = _seen_messages(calls)
        unread: set[int] = set()
        for i, call in enumerate(calls):
            if call.f == "send" and call.status != "ok":
                try:
                    if freeze(_message(call)) not in seen:
                        unread.add(i)
                except TypeError:
                    continue  # compile reports it
        return unread

    def describe_call(self, call: Call) -> str:
        if call.f == "send":
            msg = describe_value(_message(call))
            if call.status == "ok":
                offset = (call.completion or {}).get("offset")
                return f"send {msg} → offset {offset}"
            return f"send {msg} (info)"
        start = _start(call)
        where = "an unknown position" if start is None else start
        if call.status != "ok":
            return f"poll from {where} (info)"
        records = call.value or []
        shown = ", ".join(f"{r[0]}:{describe_value(r[1], 20)}" for r in records[:6])
        more = f", … ({len(records)} records)" if len(records) > 6 else ""
        return f"poll from {where} → [{shown}{more}]"

    def describe_state(self, state: LogNode) -> str:
        records = state.records()
        shown = ", ".join(
            f"{'?' if o is None else o}:{describe_value(m, 20)}" for o, m in records[-8:]
        )
        prefix = "…, " if len(records) > 8 else ""
        return f"{len(records)} records [{prefix}{shown}]"


def _seen_messages(calls: Sequence[Call]) -> set[Any]:
    """Messages that ok polls returned."""
    seen: set[Any] = set()
    for call in calls:
        if call.f == "poll" and call.status == "ok" and isinstance(call.value, list):
            for record in call.value:
                if isinstance(record, list | tuple) and len(record) == 2:
                    try:
                        seen.add(freeze(record[1]))
                    except TypeError:
                        continue  # compile reports it
    return seen


def _message(call: Call) -> Any:
    msg = call.invoke_value
    if msg is None and call.completion is not None:
        msg = call.completion.get("value")
    return msg


def _start(call: Call) -> Any:
    start = call.invoke.get("offset")
    if start is None and call.completion is not None:
        start = call.completion.get("offset")
    return start


def _compile_send(call: Call) -> StepFn[LogNode]:
    msg = call.invoke.get("value")
    if type(msg) is not str:  # fast path for the common case: a string message
        msg = _message(call)
        if msg is None:
            raise ModelInputError(call.call_pos, "send needs the message as its value")
        try:
            msg = freeze(msg)
        except TypeError as exc:
            raise ModelInputError(call.call_pos, str(exc)) from None
    if call.status != "ok":

        def send_info(log: LogNode) -> LogNode:
            return log.append(msg, None)

        return send_info
    offset = (call.completion or {}).get("offset")
    if type(offset) is not int or offset < 0:
        offset = _offset(call, call.completion or {}, "send's ok completion", call.return_pos)

    def send(log: LogNode) -> LogNode | Reject:
        return log.append(msg, offset) if log.floor < offset else REJECT

    return send


def _compile_poll(call: Call) -> StepFn[LogNode]:
    start = _start(call)
    unknown_start = start is None and bool((call.completion or {}).get("unknown_start"))
    if not unknown_start and (type(start) is not int or start < 0):
        start = _offset(call, {"offset": start}, "poll's invocation", call.call_pos)
    limit = call.invoke.get("max_records")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ModelInputError(call.call_pos, "max_records must be a positive integer")
    records = call.value
    position = call.return_pos
    if not isinstance(records, list):
        raise ModelInputError(position, "poll's ok value must be a list of [offset, message]")
    wanted: list[tuple[int, Any]] = []
    for i, record in enumerate(records):
        if type(record) is list and len(record) == 2:
            offset, msg = record
            if type(offset) is int and type(msg) is str and offset >= 0:
                wanted.append((offset, msg))
                continue
        if not isinstance(record, list | tuple) or len(record) != 2:
            raise ModelInputError(position, f"poll record {i} must be [offset, message]")
        offset = _offset(call, {"offset": record[0]}, f"poll record {i}", position)
        try:
            wanted.append((offset, freeze(record[1])))
        except TypeError as exc:
            raise ModelInputError(position, str(exc)) from None
    if not wanted:
        if unknown_start:
            return _poll_anything

        def poll_nothing(log: LogNode) -> LogNode | Reject:
            return log if log.floor < start else REJECT

        return poll_nothing
    increasing = all(a[0] < b[0] for a, b in itertools.pairwise(wanted))
    if not increasing or (not unknown_start and wanted[0][0] < start):
        # A poll that repeated or reordered offsets, or read before its start, fits no log:
        # a violation, not bad input.
        return _poll_never
    last = wanted[-1][0]
    backwards = list(reversed(wanted))
    # the run must start at the first record at or after the poll's start
    floor = float("inf") if unknown_start else start

    last_msg = backwards[0][1]

    def poll(log: LogNode) -> LogNode | Reject:
        node = log
        # records after the run: known ones above its last offset; a floating one may be
        while node.parent is not None and (
            node.floor > last or (node.offset is None and node.msg != last_msg)
        ):
            node = node.parent
        for offset, msg in backwards:
            parent = node.parent  # None only at the empty log's root, which holds no record
            if (
                parent is None
                or node.msg != msg
                or (node.offset != offset if node.offset is not None else node.floor > offset)
            ):
                return REJECT  # not there (yet), or not a contiguous run of the log
            node = parent
        return log if node.floor < floor else REJECT

    return poll


def _poll_anything(log: LogNode) -> LogNode:
    return log


def _poll_never(log: LogNode) -> Reject:
    return REJECT


def _offset(call: Call, record: Record, what: str, position: int | None) -> int:
    offset = record.get("offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ModelInputError(
            position,
            f"{what} must carry a non-negative integer offset, got {describe_value(offset)}",
        )
    return offset
