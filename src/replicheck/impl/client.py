"""A client: a producer/consumer instance used by one or more client processes, each with
one outstanding send or poll at a time, recorded as a history.

The client keeps a metadata cache (leader and leader epoch per partition) fetched from the
controller and refreshed after NOT_LEADER_OR_FOLLOWER, fencing errors and timeouts — so a
client cut off from the controller keeps talking to a zombie leader, as real ones do.
Completions map to Jepsen types: `ok`; `fail` when the request definitely had no effect
(rejected before append, never sent); `info` when the outcome is unknown (timeout after
sending, error after append, acks=0).

With `retries` (KIP-98's producer) a send survives retriable errors and attempt timeouts:
it backs off `retry_backoff_ms`, refreshes metadata and sends the same batch again, until
it is acknowledged, fails for good, runs out of retries or reaches `delivery_timeout_ms`.
The history records the whole thing as one operation: its outcome is `info` when any
attempt may have been appended. With `enable_idempotence` the client first gets a producer
id (InitProducerId) and every batch carries (producer id, epoch, sequence); the sequence
advances only after an acknowledgement, and after an unknown outcome (or a fatal sequence
error) the client starts over with a new producer id, as Kafka's producer resets its id
when it expires a batch.

With `producer_threads > 1` several processes (application threads) share one instance, as
they share one thread-safe KafkaProducer: their sends are batches on the same connection,
up to `max_in_flight_requests_per_connection` in flight per broker (the rest wait in the
accumulator, in send order). An idempotent producer numbers its batches per partition in
send order; a batch the leader finds out of order (OUT_OF_ORDER_SEQUENCE_NUMBER, or
UNKNOWN_PRODUCER_ID for a new id's batch after the first) while an earlier one of the same
producer is still unresolved is retried, so the log keeps send
order. Without idempotence a retried batch can land after a later one (Kafka promises no
order there).
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
STAGE_BACKOFF = 2  # waiting retry_backoff_ms before the next attempt
STAGE_PRODUCER_ID = 3  # InitProducerId in flight (or another op's, awaited)
STAGE_QUEUED = 4  # in the accumulator: the connection has its maximum in flight

_REFRESH_ERRORS = frozenset(
    {
        m.NOT_LEADER_OR_FOLLOWER,
        m.FENCED_LEADER_EPOCH,
        m.UNKNOWN_LEADER_EPOCH,
        m.LEADER_NOT_AVAILABLE,
        m.REQUEST_TIMED_OUT,
    }
)
# What Kafka's producer retries (RetriableException subclasses among our errors).
_RETRIABLE = _REFRESH_ERRORS | {m.NOT_ENOUGH_REPLICAS, m.NOT_ENOUGH_REPLICAS_AFTER_APPEND}
_SEQUENCE_ERRORS = frozenset({m.OUT_OF_ORDER_SEQUENCE_NUMBER, m.UNKNOWN_PRODUCER_ID})
# After these the idempotent producer's sequence is unusable: start over with a new id.
_RESET_PRODUCER = frozenset(
    {
        m.OUT_OF_ORDER_SEQUENCE_NUMBER,
        m.UNKNOWN_PRODUCER_ID,
        m.INVALID_PRODUCER_EPOCH,
    }
)


class Op:
    __slots__ = (
        "attempts",
        "corr",
        "deadline_ms",
        "delivery_deadline_ms",
        "f",
        "final",
        "last_error",
        "maybe_written",
        "message",
        "offset",
        "partition",
        "process",
        "producer",
        "seq",
        "stage",
    )

    def __init__(
        self,
        f: str,
        partition: int,
        message: str | None,
        offset: int | None,
        deadline_ms: int,
        final: bool,
        process: int = 0,
    ) -> None:
        self.process = process
        self.f = f
        self.partition = partition
        self.message = message
        self.offset = offset
        self.deadline_ms = deadline_ms
        self.final = final
        self.stage = STAGE_METADATA
        self.corr = -1
        self.delivery_deadline_ms = deadline_ms  # later when retrying
        self.attempts = 0  # retries made so far
        self.maybe_written = False  # an earlier attempt may have been appended
        self.last_error = m.REQUEST_TIMED_OUT
        self.seq = -1  # idempotent sequence, fixed at the first attempt
        self.producer: tuple[int, int, int] | None = None  # (pid, epoch, seq), likewise


class Client:
    def __init__(self, config: ClusterConfig, process: int, record: Record) -> None:
        self.config = config
        self.process = process  # the first process of those sharing this instance
        self.name = f"c{process}"
        self.record = record
        self.metadata: tuple[tuple[int, int], ...] | None = None
        self.ops: dict[int, Op] = {}  # process -> its outstanding op, in start order
        self.corr = 0
        self.out: list[m.Msg] = []
        self.next_tick_ms = INF_MS
        self.now_ms = 0
        self.retrying = config.retries > 0
        self.idempotent = config.enable_idempotence
        self.producer_id = -1
        self.producer_epoch = -1
        self.next_seq: dict[int, int] = {}  # partition -> next sequence of this producer id

    @property
    def op(self) -> Op | None:
        """An outstanding op of any process sharing this instance (None when idle)."""
        return next(iter(self.ops.values()), None)

    def idle(self, process: int) -> bool:
        return process not in self.ops

    # -- driver calls ----------------------------------------------------------------------
    def start(
        self,
        f: str,
        partition: int,
        message: str | None,
        offset: int | None,
        now_ms: int,
        final: bool = False,
        process: int | None = None,
    ) -> list[m.Msg]:
        own = self.process if process is None else process
        assert own not in self.ops, "one outstanding operation per process"
        self.now_ms = now_ms
        deadline_ms = now_ms + self.config.request_timeout_ms
        op = Op(f, partition, message, offset, deadline_ms, final, own)
        if f == "send" and self.retrying:
            op.delivery_deadline_ms = now_ms + self.config.delivery_timeout_ms
        self.ops[own] = op
        self._record("invoke", op, value=message if f == "send" else None, offset=offset)
        if f == "send" and self.idempotent and self.producer_id < 0:
            self._request_producer_id(op)
        elif self.metadata is None:
            self._request_metadata(op)
        else:
            self._dispatch(op)
        return self._flush()

    def step(self, msg: m.Msg, now_ms: int) -> list[m.Msg]:
        self.now_ms = now_ms
        corr = getattr(msg, "corr", None)
        op = next((o for o in self.ops.values() if o.corr == corr), None)
        if op is not None:
            if isinstance(msg, m.MetadataResponse):
                self.metadata = msg.partitions
                self._dispatch(op)
            elif isinstance(msg, m.InitProducerIdResponse):
                self.producer_id = msg.producer_id
                self.producer_epoch = msg.producer_epoch
                self.next_seq = {}
                for waiting in self._in_stage(STAGE_PRODUCER_ID):
                    self._resume(waiting)
            elif isinstance(msg, m.ProduceResponse):
                self._on_produce_response(op, msg)
            elif isinstance(msg, m.ConsumerFetchResponse):
                self._on_fetch_response(op, msg)
        elif isinstance(msg, m.MetadataResponse):
            self.metadata = msg.partitions
        return self._flush()

    def tick(self, now_ms: int) -> list[m.Msg]:
        self.now_ms = now_ms
        for op in [o for o in self.ops.values() if now_ms >= o.deadline_ms]:
            if self.ops.get(op.process) is not op:
                continue  # completed meanwhile (a queued op dispatched and answered)
            if op.stage == STAGE_BACKOFF:
                self._after_backoff(op)
            else:
                # A produce that may have reached a leader has an unknown outcome; anything
                # else (metadata stage, the accumulator, reads) definitely changed nothing.
                sent = op.stage == STAGE_REQUEST
                self.metadata = None
                op.maybe_written |= sent and op.f == "send"
                if self._may_retry(op):
                    self._back_off(op, m.REQUEST_TIMED_OUT)
                else:
                    kind = "info" if op.maybe_written else "fail"
                    self._complete(op, kind, error=m.REQUEST_TIMED_OUT)
        return self._flush()

    # -- internals ---------------------------------------------------------------------------
    def _flush(self) -> list[m.Msg]:
        self.next_tick_ms = min((o.deadline_ms for o in self.ops.values()), default=INF_MS)
        out, self.out = self.out, []
        return out

    def _in_stage(self, stage: int) -> list[Op]:
        return [o for o in self.ops.values() if o.stage == stage]

    def _next_corr(self) -> int:
        self.corr += 1
        return self.corr

    def _may_retry(self, op: Op) -> bool:
        return (
            op.f == "send"
            and op.attempts < self.config.retries
            and self.now_ms < op.delivery_deadline_ms
        )

    def _back_off(self, op: Op, error: str) -> None:
        """Wait retry_backoff_ms (never past the delivery timeout), then try again."""
        op.attempts += 1
        op.last_error = error
        op.stage = STAGE_BACKOFF
        op.corr = -1  # answers to the abandoned attempt are ignored
        op.deadline_ms = min(self.now_ms + self.config.retry_backoff_ms, op.delivery_deadline_ms)
        self._release_slot()

    def _after_backoff(self, op: Op) -> None:
        if self.now_ms >= op.delivery_deadline_ms:
            self._complete(op, "info" if op.maybe_written else "fail", error=op.last_error)
            return
        op.deadline_ms = min(self.now_ms + self.config.request_timeout_ms, op.delivery_deadline_ms)
        self._resume(op)

    def _resume(self, op: Op) -> None:
        """The next stage of an attempt: producer id, metadata, then the request."""
        if op.f == "send" and self.idempotent and self.producer_id < 0:
            self._request_producer_id(op)
        elif self.metadata is None:
            self._request_metadata(op)
        else:
            self._dispatch(op)

    def _request_producer_id(self, op: Op) -> None:
        op.stage = STAGE_PRODUCER_ID
        waiting = any(o.corr >= 0 for o in self._in_stage(STAGE_PRODUCER_ID) if o is not op)
        op.corr = -1
        if waiting:
            return  # another op's InitProducerId is in flight: one id for all of them
        op.corr = self._next_corr()
        self.out.append(m.InitProducerId(self.name, "controller", op.corr))

    def _request_metadata(self, op: Op) -> None:
        op.stage = STAGE_METADATA
        op.corr = self._next_corr()
        self.out.append(m.MetadataRequest(self.name, "controller", op.corr))

    def _in_flight_to(self, leader: int) -> int:
        assert self.metadata is not None
        return sum(
            1
            for o in self._in_stage(STAGE_REQUEST)
            if o.f == "send" and self.metadata[o.partition][0] == leader
        )

    def _release_slot(self) -> None:
        """A produce left the connection: the oldest queued sends go, while there is room."""
        for queued in self._in_stage(STAGE_QUEUED):
            if self.ops.get(queued.process) is queued and queued.stage == STAGE_QUEUED:
                timeout_ms = self.now_ms + self.config.request_timeout_ms
                queued.deadline_ms = min(timeout_ms, queued.delivery_deadline_ms)
                self._resume(queued)

    def _dispatch(self, op: Op) -> None:
        assert self.metadata is not None
        leader, epoch = self.metadata[op.partition]
        if leader < 0:
            self.metadata = None
            if self._may_retry(op):
                self._back_off(op, m.LEADER_NOT_AVAILABLE)
            else:
                kind = "info" if op.maybe_written else "fail"
                self._complete(op, kind, error=m.LEADER_NOT_AVAILABLE)
            return
        limit = self.config.max_in_flight_requests_per_connection
        if op.f == "send" and self._in_flight_to(leader) >= limit:
            op.stage = STAGE_QUEUED  # waits in the accumulator until delivery times out
            op.corr = -1
            op.deadline_ms = op.delivery_deadline_ms
            return
        op.stage = STAGE_REQUEST
        op.corr = self._next_corr()
        dst = f"b{leader}"
        if op.f == "send":
            self._send_produce(op, dst, epoch)
        else:
            assert op.offset is not None
            self.out.append(
                m.ConsumerFetch(
                    self.name,
                    dst,
                    op.partition,
                    epoch,
                    op.offset,
                    self.config.max_poll_records,
                    op.corr,
                )
            )

    def _send_produce(self, op: Op, dst: str, epoch: int) -> None:
        acks = self.config.acks
        assert op.message is not None
        if self.idempotent and op.producer is None:
            # Numbered in send order at the first attempt; retries keep the numbers.
            op.seq = self.next_seq.get(op.partition, 0)
            self.next_seq[op.partition] = op.seq + 1
            op.producer = (self.producer_id, self.producer_epoch, op.seq)
        self.out.append(
            m.Produce(self.name, dst, op.partition, epoch, op.message, acks, op.corr, op.producer)
        )
        if acks == "0":
            # Fire and forget: nothing will ever tell us whether it was written.
            self._complete(op, "info", error="NO_ACKS_REQUESTED")

    def _earlier_unresolved(self, op: Op) -> bool:
        """Is a batch numbered before `op`'s, of the same producer id and partition, still
        outstanding? Then an out-of-order answer means that batch has not landed yet."""
        assert op.producer is not None
        pid = op.producer[0]
        return any(
            o is not op
            and o.producer is not None
            and o.producer[0] == pid
            and o.partition == op.partition
            and o.seq < op.seq
            for o in self.ops.values()
        )

    def _on_produce_response(self, op: Op, msg: m.ProduceResponse) -> None:
        if msg.error == m.NONE:
            self._complete(op, "ok", offset=msg.offset)
            return
        if msg.error in _REFRESH_ERRORS:
            self.metadata = None
        op.maybe_written |= msg.appended
        # A sequence error while an earlier batch of ours is unresolved says only that the
        # earlier one has not landed (a new producer id's first batch is UNKNOWN_PRODUCER_ID
        # until then): Kafka's producer retries it, in order, rather than resetting.
        retriable = msg.error in _RETRIABLE or (
            msg.error in _SEQUENCE_ERRORS and self._earlier_unresolved(op)
        )
        if retriable and self._may_retry(op):
            self._back_off(op, msg.error)
            return
        self._complete(op, "info" if op.maybe_written else "fail", error=msg.error)

    def _on_fetch_response(self, op: Op, msg: m.ConsumerFetchResponse) -> None:
        if msg.error == m.NONE:
            self._complete(op, "ok", value=msg.records)  # fresh [offset, message] lists
            return
        if msg.error in _REFRESH_ERRORS:
            self.metadata = None
        self._complete(op, "fail", error=msg.error)

    def _complete(
        self,
        op: Op,
        kind: str,
        value: Any = None,
        offset: int | None = None,
        error: str | None = None,
    ) -> None:
        assert self.ops.get(op.process) is op
        del self.ops[op.process]
        released = op.stage == STAGE_REQUEST
        if op.f == "send":
            value = op.message
            if kind != "ok":
                offset = None
            if op.producer is not None and op.producer[0] == self.producer_id:
                self._settle_sequence(op, kind, error)
        else:
            offset = op.offset
            if kind != "ok":
                value = None
        self._record(kind, op, value=value, offset=offset, error=error)
        if released:
            self._release_slot()

    def _settle_sequence(self, op: Op, kind: str, error: str | None) -> None:
        """After a batch's outcome: a batch that was certainly not written gives its number
        back when it was the last one handed out; an unknown outcome, a fatal sequence
        error or a hole in the numbering starts over with a new producer id."""
        if kind == "ok":
            return
        last = self.next_seq.get(op.partition, 0) - 1
        if kind == "fail" and error not in _RESET_PRODUCER and op.seq == last:
            self.next_seq[op.partition] = op.seq
        else:
            self.producer_id = -1

    def _record(
        self, kind: str, op: Op, value: Any, offset: int | None, error: str | None = None
    ) -> None:
        self.record(op.process, kind, op.f, op.partition, value, offset, error, op.final)
