"""A single-partition append-only log (a Kafka topic-partition), one per `key`.

Conventions (public, see docs/history-format.md):

- `send`: the invocation's `value` is the message; the `ok` completion carries `offset`, the
  offset it was acknowledged at. An `info` send may have been appended at any offset, or never.
- `poll`: the invocation carries the start `offset`; the `ok` completion's `value` is
  `[[offset, message], ...]`, ascending and consecutive from the start offset. A linearizable
  poll returns every record from the start offset to the end of the log at its linearization
  point; if the invocation carries `max_records`, a poll that returned exactly that many
  records may stop short of the end.

The state is the sequence of messages. It is a node in a trie of logs (`LogNode`): appending
the same message to the same log yields the same node, so states compare and hash by identity
in O(1) however long the log grows — the checker caches states, and hashing a 100 000-message
tuple per search step would make long histories quadratic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from replicheck.model.base import (
    REJECT,
    Call,
    Model,
    ModelInputError,
    State,
    StepFn,
    describe_value,
    freeze,
)


class LogNode:
    """A log: its last message, the log before it, and its length. Interned per root."""

    __slots__ = ("_kid", "_kid_msg", "_more", "length", "msg", "parent")

    def __init__(self, parent: LogNode | None, msg: Any) -> None:
        self.parent = parent
        self.msg = msg
        self.length = 0 if parent is None else parent.length + 1
        self._kid_msg: Any = None
        self._kid: LogNode | None = None  # most logs have one successor: no dict for it
        self._more: dict[Any, LogNode] | None = None

    def append(self, msg: Any) -> LogNode:
        """The log with `msg` appended (the same object every time for the same message)."""
        kid = self._kid
        if kid is not None and self._kid_msg == msg:
            return kid
        if kid is None:
            kid = LogNode(self, msg)
            self._kid_msg, self._kid = msg, kid
            return kid
        more = self._more
        if more is None:
            more = self._more = {}
        found = more.get(msg)
        if found is None:
            found = more[msg] = LogNode(self, msg)
        return found

    def messages(self) -> list[Any]:
        """The whole log, oldest first (O(length); for reports only)."""
        out = []
        node: LogNode | None = self
        while node is not None and node.parent is not None:
            out.append(node.msg)
            node = node.parent
        out.reverse()
        return out

    def __repr__(self) -> str:
        return f"LogNode(length={self.length})"


class LogModel(Model):
    """Kafka's per-partition contract, read linearizably (stricter than Kafka promises)."""

    name = "log"

    def __init__(self, max_records: int | None = None) -> None:
        """`max_records`: the consumers' batch limit, for histories whose poll invocations
        do not carry `max_records` themselves (the field wins when present)."""
        assert max_records is None or max_records >= 1
        self.max_records = max_records

    def init(self) -> State:
        return LogNode(None, None)

    def compile(self, call: Call) -> StepFn | None:
        """Sends and polls; any other `f` is left out, as the log-anomaly checker does."""
        if call.f == "send":
            return _compile_send(call)
        if call.f != "poll" or call.status != "ok":
            return None
        return _compile_poll(call, self.max_records)

    def is_read_only(self, call: Call) -> bool:
        return call.f == "poll"

    def unobservable(self, calls: Sequence[Call]) -> set[int]:
        """Info sends that can occupy no offset that matters (see `narrow`)."""
        return {i for i, offsets in _info_send_offsets(calls).items() if not offsets}

    def narrow(self, calls: Sequence[Call], fns: Sequence[StepFn]) -> list[StepFn | None]:
        """Let each info send land only at an offset where it can matter; drop it if none.

        An offset is *claimed* if an acknowledged send or a poll record shows what is there;
        `top` is the highest claimed offset. An info send cannot sit at an offset claimed by
        another message, and above `top` nothing observes it (removing it only shortens a
        log whose end no completed operation saw). So it matters only where a poll saw its
        message, or at an unclaimed offset `o` <= `top` (a gap) — and at a gap only if it
        was invoked before the first response of an operation that needs the log longer
        than `o`. Without this, every pending timed-out send is tried at every offset, in
        every combination.
        """
        narrowed: list[StepFn | None] = list(fns)
        for i, offsets in _info_send_offsets(calls).items():
            if not offsets:
                narrowed[i] = None
                continue
            msg = freeze(_message(calls[i]))

            def send_where_it_matters(
                log: LogNode, msg: Any = msg, offsets: frozenset = offsets
            ) -> Any:
                return log.append(msg) if log.length in offsets else REJECT

            narrowed[i] = send_where_it_matters
        return narrowed

    def describe_call(self, call: Call) -> str:
        if call.f == "send":
            msg = describe_value(_message(call))
            if call.status == "ok":
                offset = (call.completion or {}).get("offset")
                return f"send {msg} → offset {offset}"
            return f"send {msg} (info)"
        start = call.invoke.get("offset")
        if call.status != "ok":
            return f"poll from {start} (info)"
        records = call.value or []
        shown = ", ".join(f"{r[0]}:{describe_value(r[1], 20)}" for r in records[:6])
        more = f", … ({len(records)} records)" if len(records) > 6 else ""
        return f"poll from {start} → [{shown}{more}]"

    def describe_state(self, state: State) -> str:
        assert isinstance(state, LogNode)
        msgs = state.messages()
        shown = ", ".join(describe_value(m, 20) for m in msgs[-8:])
        prefix = "…, " if len(msgs) > 8 else ""
        return f"{len(msgs)} records [{prefix}{shown}]"


_NEVER = float("inf")


def _info_send_offsets(calls: Sequence[Call]) -> dict[int, frozenset[int]]:
    """For each info send: the offsets it could occupy in a legal order that matters."""
    claimed: dict[int, Any] = {}  # offset -> earliest response needing the log past it
    seen_at: dict[Any, set[int]] = {}  # message -> offsets polls saw it at
    infos = []
    for i, call in enumerate(calls):
        if call.f == "send":
            if call.status == "ok":
                offset = (call.completion or {}).get("offset")
                assert isinstance(offset, int)
                _need(claimed, offset, call.return_pos)
            else:
                infos.append(i)
        elif call.status == "ok" and call.value:
            for offset, msg in call.value:
                seen_at.setdefault(freeze(msg), set()).add(offset)
                claimed.setdefault(offset, _NEVER)
            _need(claimed, call.value[-1][0], call.return_pos)
    if not infos:
        return {}
    # deadline of gap o: the earliest response of an operation that needs the log past o
    gaps: list[tuple[int, Any]] = []
    deadline = _NEVER
    # A log holds at most one record per send, so an info send lands below the number of
    # sends: gaps above that bound are unreachable, and scanning only up to it keeps the
    # work proportional to the operations, not to the largest offset claimed.
    sends = sum(1 for call in calls if call.f == "send")
    for offset in sorted((o for o in claimed if o >= sends), reverse=True):
        deadline = min(deadline, claimed[offset])
    for offset in range(min(max(claimed, default=-1), sends - 1), -1, -1):
        if offset in claimed:
            deadline = min(deadline, claimed[offset])
        else:
            gaps.append((offset, deadline))
    return {
        i: frozenset(seen_at.get(freeze(_message(calls[i])), ()))
        | frozenset(o for o, due in gaps if calls[i].call_pos < due)
        for i in infos
    }


def _need(claimed: dict[int, Any], offset: int, response: int | None) -> None:
    """Record that the operation answered at `response` saw the log reach `offset`."""
    assert response is not None
    if claimed.get(offset, _NEVER) > response:
        claimed[offset] = response


def _message(call: Call) -> Any:
    msg = call.invoke_value
    if msg is None and call.completion is not None:
        msg = call.completion.get("value")
    return msg


def _compile_send(call: Call) -> StepFn:
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

        def send_info(log: LogNode) -> Any:
            return log.append(msg)

        return send_info
    offset = (call.completion or {}).get("offset")
    if type(offset) is not int or offset < 0:
        offset = _offset(call, call.completion or {}, "send's ok completion", call.return_pos)

    def send(log: LogNode) -> Any:
        return log.append(msg) if log.length == offset else REJECT

    return send


def _compile_poll(call: Call, default_limit: int | None = None) -> StepFn:
    start = call.invoke.get("offset")
    if start is None and call.completion is not None:
        start = call.completion.get("offset")
    if type(start) is not int or start < 0:
        start = _offset(call, {"offset": start}, "poll's invocation", call.call_pos)
    limit = call.invoke.get("max_records", default_limit)
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ModelInputError(call.call_pos, "max_records must be a positive integer")
    records = call.value
    position = call.return_pos
    if not isinstance(records, list):
        raise ModelInputError(position, "poll's ok value must be a list of [offset, message]")
    wanted: list[Any] = []
    consecutive = True
    expected = start
    for i, record in enumerate(records):
        # fast path: [int offset, str message]; anything else gets the careful checks
        if type(record) is list and len(record) == 2:
            offset, msg = record
            if type(offset) is int and type(msg) is str and offset >= 0:
                consecutive = consecutive and offset == expected
                expected += 1
                wanted.append(msg)
                continue
        if not isinstance(record, list | tuple) or len(record) != 2:
            raise ModelInputError(position, f"poll record {i} must be [offset, message]")
        offset = _offset(call, {"offset": record[0]}, f"poll record {i}", position)
        consecutive = consecutive and offset == expected
        expected += 1
        try:
            wanted.append(freeze(record[1]))
        except TypeError as exc:
            raise ModelInputError(position, str(exc)) from None
    if not consecutive:
        # A poll that skipped or repeated offsets fits no log: a violation, not bad input.
        def poll_never(log: LogNode) -> Any:
            return REJECT

        return poll_never
    count = len(wanted)
    end = start + count
    wanted.reverse()  # compared walking back from the end of the log
    may_stop_short = limit is not None and count == limit

    def poll(log: LogNode) -> Any:
        length = log.length
        if length != end:
            if not (may_stop_short and length > end) and not (count == 0 and length <= start):
                return REJECT
            node = log
            while node.length > end:
                node = node.parent  # type: ignore[assignment]
        else:
            node = log
        for msg in wanted:
            if node.msg != msg:
                return REJECT
            node = node.parent  # type: ignore[assignment]
        return log

    return poll


def _offset(call: Call, record: dict, what: str, position: int | None) -> int:
    offset = record.get("offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ModelInputError(
            position, f"{what} must carry a non-negative integer offset, got {describe_value(offset)}"
        )
    return offset
