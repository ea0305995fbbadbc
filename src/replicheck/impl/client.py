"""A client process: one outstanding send or poll at a time, recorded as a history.

The client keeps a metadata cache (leader and leader epoch per partition) fetched from the
controller and refreshed after NOT_LEADER_OR_FOLLOWER, fencing errors and timeouts — so a
client cut off from the controller keeps talking to a zombie leader, as real ones do.
Completions map to Jepsen types: `ok`; `fail` when the request definitely had no effect
(rejected before append, never sent); `info` when the outcome is unknown (timeout after
sending, error after append, acks=0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from replicheck.impl import messages as m
from replicheck.impl.config import ClusterConfig
from replicheck.impl.replica import INF_MS

Record = Callable[..., None]

STAGE_METADATA = 0
STAGE_REQUEST = 1

_REFRESH_ERRORS = frozenset({
    m.NOT_LEADER_OR_FOLLOWER, m.FENCED_LEADER_EPOCH, m.UNKNOWN_LEADER_EPOCH,
    m.LEADER_NOT_AVAILABLE, m.REQUEST_TIMED_OUT,
})


class Op:
    __slots__ = ("corr", "deadline_ms", "f", "final", "message", "offset", "partition", "stage")

    def __init__(self, f: str, partition: int, message: str | None, offset: int | None,
                 deadline_ms: int, final: bool) -> None:
        self.f = f
        self.partition = partition
        self.message = message
        self.offset = offset
        self.deadline_ms = deadline_ms
        self.final = final
        self.stage = STAGE_METADATA
        self.corr = -1


class Client:
    def __init__(self, config: ClusterConfig, process: int, record: Record) -> None:
        self.config = config
        self.process = process
        self.name = f"c{process}"
        self.record = record
        self.metadata: tuple[tuple[int, int], ...] | None = None
        self.op: Op | None = None
        self.corr = 0
        self.out: list[m.Msg] = []
        self.next_tick_ms = INF_MS

    # -- driver calls ----------------------------------------------------------------------
    def start(self, f: str, partition: int, message: str | None, offset: int | None,
              now_ms: int, final: bool = False) -> list[m.Msg]:
        assert self.op is None, "one outstanding operation per process"
        op = Op(f, partition, message, offset, now_ms + self.config.request_timeout_ms, final)
        self.op = op
        self._record("invoke", op, value=message if f == "send" else None, offset=offset)
        self.next_tick_ms = op.deadline_ms
        if self.metadata is None:
            self._request_metadata(op)
        else:
            self._dispatch(op)
        out, self.out = self.out, []
        return out

    def step(self, msg: m.Msg, now_ms: int) -> list[m.Msg]:
        op = self.op
        if op is not None and msg.corr == op.corr:
            kind = type(msg)
            if kind is m.MetadataResponse:
                self.metadata = msg.partitions
                self._dispatch(op)
            elif kind is m.ProduceResponse:
                self._on_produce_response(op, msg)
            elif kind is m.ConsumerFetchResponse:
                self._on_fetch_response(op, msg)
        elif type(msg) is m.MetadataResponse:
            self.metadata = msg.partitions
        out, self.out = self.out, []
        return out

    def tick(self, now_ms: int) -> list[m.Msg]:
        op = self.op
        if op is not None and now_ms >= op.deadline_ms:
            # A produce that may have reached a leader has an unknown outcome; anything
            # else (metadata stage, reads) definitely changed nothing.
            sent = op.stage == STAGE_REQUEST
            kind = "info" if op.f == "send" and sent else "fail"
            self.metadata = None
            self._complete(op, kind, error=m.REQUEST_TIMED_OUT)
        self.next_tick_ms = INF_MS if self.op is None else self.op.deadline_ms
        out, self.out = self.out, []
        return out

    # -- internals ---------------------------------------------------------------------------
    def _next_corr(self) -> int:
        self.corr += 1
        return self.corr

    def _request_metadata(self, op: Op) -> None:
        op.stage = STAGE_METADATA
        op.corr = self._next_corr()
        self.out.append(m.MetadataRequest(self.name, "controller", op.corr))

    def _dispatch(self, op: Op) -> None:
        assert self.metadata is not None
        leader, epoch = self.metadata[op.partition]
        if leader < 0:
            self.metadata = None
            self._complete(op, "fail", error=m.LEADER_NOT_AVAILABLE)
            return
        op.stage = STAGE_REQUEST
        op.corr = self._next_corr()
        dst = f"b{leader}"
        if op.f == "send":
            acks = self.config.acks
            assert op.message is not None
            self.out.append(m.Produce(self.name, dst, op.partition, epoch, op.message, acks,
                                      op.corr))
            if acks == "0":
                # Fire and forget: nothing will ever tell us whether it was written.
                self._complete(op, "info", error="NO_ACKS_REQUESTED")
        else:
            assert op.offset is not None
            self.out.append(m.ConsumerFetch(self.name, dst, op.partition, epoch, op.offset,
                                            self.config.max_poll_records, op.corr))

    def _on_produce_response(self, op: Op, msg: m.ProduceResponse) -> None:
        if msg.error == m.NONE:
            self._complete(op, "ok", offset=msg.offset)
            return
        if msg.error in _REFRESH_ERRORS:
            self.metadata = None
        self._complete(op, "info" if msg.appended else "fail", error=msg.error)

    def _on_fetch_response(self, op: Op, msg: m.ConsumerFetchResponse) -> None:
        if msg.error == m.NONE:
            self._complete(op, "ok", value=msg.records)  # fresh [offset, message] lists
            return
        if msg.error in _REFRESH_ERRORS:
            self.metadata = None
        self._complete(op, "fail", error=msg.error)

    def _complete(self, op: Op, kind: str, value: Any = None, offset: int | None = None,
                  error: str | None = None) -> None:
        assert self.op is op
        self.op = None
        self.next_tick_ms = INF_MS
        if op.f == "send":
            value = op.message
            if kind != "ok":
                offset = None
        else:
            offset = op.offset
            if kind != "ok":
                value = None
        self._record(kind, op, value=value, offset=offset, error=error)

    def _record(self, kind: str, op: Op, value: Any, offset: int | None,
                error: str | None = None) -> None:
        self.record(self.process, kind, op.f, op.partition, value, offset, error, op.final)
