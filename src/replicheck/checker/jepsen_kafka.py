"""Jepsen's Kafka history shape, translated into the log checker's send/poll operations.

Jepsen's Kafka workload (jepsen.tests.kafka; Maelstrom's kafka workload uses the same
checker) records one op per client call, with a vector of micro-ops as its value:

    {:type :invoke, :f :send, :value [[:send 3 12]]}     → ok: [[:send 3 [7 12]]]
    {:type :invoke, :f :poll, :value [[:poll]]}          → ok: [[:poll {3 [[7 12] [8 13]]}]]
    {:type :invoke, :f :txn,  :value [[:poll] [:send 3 14]]}
    {:type :invoke, :f :assign, :value [3 4], :seek-to-beginning? true}   (or :subscribe)
    {:type :invoke, :f :crash}                                            → :info

This module is the one place that knows that shape. `JepsenKafka.translate(ops)` streams
the checker's internal operations (docs/log-checker.md): one send per send micro-op, one
poll per key an ok op read. Each carries `at`, the position of its Jepsen invocation or
completion (the checker orders by it: translated ops are emitted when the Jepsen op
completes, but real time is when it was invoked), and the op's `index`, so that evidence
names Jepsen's ops and two micro-ops of one op (a transaction) share a position.

A poll carries no start offset: the consumer's position is implicit. It is derived here
per process and key, as Kafka's consumer keeps it: where that process's previous ok read
of the key ended. It is *unknown* (and the poll is checked without position checks) for
the first read of a key by a process, after `assign`/`subscribe` drops or re-adds the key
or seeks to the beginning, after a rebalance the op reports (`:rebalance-log`), and after
the process crashed (`:crash`, or any `info` completion: Jepsen replaces the client).

Keys are compared as strings (`3` in a send and `"3"` as a JSON object key are one key).
Reads of `info`/`fail` ops are not used (they may be partial); sends of `fail` ops are
the writes that must never be read (G1a).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from replicheck.checker.log_input import LogInputError
from replicheck.model.base import Call

#: Jepsen ops that carry micro-ops
MICRO_OP_FS = frozenset(("send", "poll", "txn"))
#: Jepsen ops that change which keys a consumer reads, or replace the client
CONSUMER_FS = frozenset(("assign", "subscribe", "crash"))
INF = float("inf")
_NO_KEYS: frozenset[str] = frozenset()


class MicroOpSink(Protocol):
    """What `JepsenKafka.feed` drives: the log checker's one-pass state
    (replicheck.checker.log_anomalies), one call per completed micro-op."""

    ids: dict[int, Any]  # position -> the op's `index`, where it is not position + base
    ids_base: int

    def feed_send(
        self,
        kind: str,
        invoke_at: int,
        at: int,
        process: int,
        key: str,
        offset: int | None,
        message: Hashable,
    ) -> None: ...

    def feed_poll(
        self,
        invoke_at: int,
        at: int,
        process: int,
        key: str,
        start: int | None,
        records: list[Any],
        rebalanced: bool,
        readers: dict[Hashable, OpFacts],
        reader: OpFacts,
    ) -> None: ...


class JepsenInputError(LogInputError):
    """A Jepsen op the translator cannot read; `position` is the Jepsen op's own place."""


def is_jepsen_op(op: dict[str, Any]) -> bool:
    """Whether `op` has Jepsen's micro-op shape (or is one of its consumer ops)."""
    f = op.get("f")
    if f in CONSUMER_FS:
        return True
    if f not in MICRO_OP_FS:
        return False
    value = op.get("value")
    # Kafka micro-ops, not another workload's (Elle's list-append txns use [:append k v])
    return (
        type(value) is list
        and bool(value)
        and type(value[0]) is list
        and bool(value[0])
        and value[0][0] in ("send", "poll")
    )


def _key(raw: Any) -> str | None:
    """Jepsen keys are integers (or Maelstrom's strings); compared as strings."""
    if type(raw) is int:
        return str(raw)
    if type(raw) is str:
        return raw
    return None


def _distinct_keys(polled: dict[Any, Any]) -> bool:
    """Whether a poll result's keys stay distinct as the strings they are compared as."""
    if all(type(k) is str for k in polled) or all(type(k) is int for k in polled):
        return True
    return len({_key(k) for k in polled}) == len(polled)


def pairs_shape(records: list[Any]) -> bool:
    """Whether every record is a pair with a hashable message (what `_poll` requires)."""
    try:
        return all(len(r) == 2 and hash(r[1]) is not None for r in records)
    except TypeError:
        return False


def _scalar(value: Any) -> bool:
    return type(value) is str or type(value) is int


class OpFacts(NamedTuple):
    """What the cycle search needs about one op: its place in time and its process.

    A named tuple, not a dataclass: the line fast path (replicheck.checker.jepsen_lines)
    builds one per send op with `tuple.__new__`, one C call instead of an `__init__`."""

    index: int  # type: ignore[assignment]  # the op's `index` (hides tuple.index)
    invoke_index: int
    process: Any
    invoked_at: int  # 0-based position of the invocation in the Jepsen history
    completed_at: float  # position of the completion; inf for info (may still happen)
    f: str

    def ref(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "invoke_index": self.invoke_index,
            "process": self.process,
            "f": self.f,
        }


@dataclass
class JepsenKafka:
    """Streaming translator; after the stream is consumed, its attributes hold the facts
    the transactional checks need (see replicheck.checker.log_cycles)."""

    #: precommitted-read evidence, found op by op
    precommitted: list[dict[str, Any]] = field(default_factory=list[Any])
    #: key -> message -> OpFacts of the op that sent it (ok and info ops)
    writers: dict[str, dict[Any, OpFacts]] = field(default_factory=dict)
    #: key -> message -> OpFacts of the first ok op that read it (the earliest completion)
    first_readers: dict[str, dict[Any, OpFacts]] = field(default_factory=dict)
    #: every op with more than one micro-op, or of f :txn: a transactional history
    transactional_ops: list[tuple[OpFacts, dict[str, list[Any]], dict[str, list[Any]]]] = field(
        default_factory=list[Any]
    )
    #: process order: process -> its previous op's facts (for the general cycle search)
    subscribed: bool = False
    position: int = -1  # Jepsen op being translated (0-based), for error messages
    ops: int = 0
    unknown_positions: int = 0  # polls checked without a start offset
    consumer_ops: int = 0

    def __post_init__(self) -> None:
        self._pending: dict[Any, tuple[int, dict[str, Any]]] = {}
        self._positions: dict[Any, dict[str, int]] = {}  # process -> key -> last offset read
        self._transactional = False

    @property
    def positions(self) -> dict[Any, dict[str, int]]:
        """process -> key -> the last offset its ok reads of the key reached (for
        replicheck.checker.jepsen_lines, which feeds the common polls itself)."""
        return self._positions

    @property
    def transactional(self) -> bool:
        return self._transactional

    # -- the stream ------------------------------------------------------------------------
    def translate(self, ops: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Internal send/poll operations for `check_log`, in history order."""
        pending = self._pending
        for position, op in enumerate(ops):
            self.position = position
            self.ops = position + 1
            process = op["process"]
            kind = op["type"]
            if type(process) is not int:
                continue  # the nemesis: faults, not client operations
            if kind == "invoke":
                pending[process] = (position, op)
                continue
            invoked = pending.pop(process, None)
            if invoked is None:
                invoked = (position, op)
            f = op["f"]
            if f in MICRO_OP_FS:
                yield from self._micro_ops(position, invoked, op)  # a list: one level only
            elif f in CONSUMER_FS:
                self._consumer(op, invoked[1])
            if kind == "info":
                self._positions.pop(process, None)  # Jepsen replaces a crashed client

    # -- the micro-op feed (the fast path of `check_any_log`) ------------------------------
    def feed(self, ops: Iterable[dict[str, Any]], sink: MicroOpSink) -> None:
        """Translate `ops` straight into `sink`'s calls: what `translate` yields as two
        dicts per micro-op becomes one call with the same facts (and the same input
        checks). Also gives `sink` the `index` of every op (its evidence names)."""
        pending = self._pending
        ids = sink.ids
        base = 0
        position = -1
        try:
            for position, op in enumerate(ops):
                ident = op.get("index", position)
                if ident != position + base:
                    if position == 0 and type(ident) is int:
                        base = sink.ids_base = ident
                    else:
                        ids[position] = ident
                process = op["process"]
                kind = op["type"]
                if type(process) is not int:
                    continue  # the nemesis: faults, not client operations
                if kind == "invoke":
                    pending[process] = (position, op)
                    continue
                invoked = pending.pop(process, None)
                self.feed_completion(position, invoked or (position, op), op, sink)
        finally:
            self.position = position
            self.ops = position + 1

    def feed_completion(
        self,
        position: int,
        invoked: tuple[int, dict[str, Any]],
        op: dict[str, Any],
        sink: MicroOpSink,
    ) -> None:
        """One completion of a client process and its invocation: `feed`'s step, also
        called by replicheck.checker.jepsen_lines, which pairs invocations itself."""
        f = op["f"]
        if f in MICRO_OP_FS:
            self.position = position
            self._feed_op(position, invoked, op, sink)
        elif f in CONSUMER_FS:
            self.position = position
            self._consumer(op, invoked[1])
        if op["type"] == "info":
            self.forget_position(op["process"])

    def feed_poll_map(self, polled: Any, facts: OpFacts, sink: MicroOpSink) -> None:
        """The polls of an ok op whose only micro-op is `[:poll polled]` (see `_feed_op`:
        `polled` a dict whose keys stay distinct as strings)."""
        self._feed_single_poll(polled, facts, sink)

    def forget_position(self, process: int) -> None:
        """An info completion: Jepsen replaces the crashed client (see `feed`)."""
        self._positions.pop(process, None)

    def _feed_op(
        self,
        position: int,
        invoked: tuple[int, dict[str, Any]],
        op: dict[str, Any],
        sink: MicroOpSink,
    ) -> None:
        """One completed Jepsen op with micro-ops, as `_micro_ops` reads it.

        A hot loop (once per op of the history): kept in one frame on purpose."""
        invoked_at, invoke = invoked
        kind = op["type"]
        process = op["process"]
        index = op.get("index", position)
        invoke_index = invoke.get("index", invoked_at) if invoke is not op else index
        mops = op.get("value")
        if kind != "ok" and not (type(mops) is list and mops and type(mops[0]) is list):
            mops = invoke.get("value")
        if type(mops) is not list:
            raise JepsenInputError(
                position, f"a {op['f']} op's value must be a vector of micro-ops"
            )
        f = op["f"]
        facts = OpFacts(
            index, invoke_index, process, invoked_at, INF if kind == "info" else position, f
        )
        if len(mops) == 1 and f != "txn" and "rebalance-log" not in op:
            # the common case: one send, or one poll (the general loop below, unrolled)
            mop = mops[0]
            if type(mop) is list and len(mop) == 3 and mop[0] == "send":
                key, offset, value = self._parse_send(mop)
                if kind != "fail":
                    by_message = self.writers.get(key)
                    if by_message is None:
                        by_message = self.writers[key] = {}
                    if value not in by_message:
                        by_message[value] = facts
                done = kind if kind != "ok" else ("ok" if offset is not None else "info")
                sink.feed_send(done, invoked_at, position, process, key, offset, value)
                return
            if type(mop) is list and mop and mop[0] == "poll":
                polled = mop[1] if kind == "ok" and len(mop) >= 2 else None
                if polled is None:
                    return
                if type(polled) is not dict or len(polled) < 2 or _distinct_keys(polled):
                    self._feed_single_poll(polled, facts, sink)
                    return
                # (two spellings of one key, 1 and "1": the general path merges them)
        reads: dict[str, list[Any]] = {}
        sent: dict[str, list[Any]] = {}
        writers = self.writers
        for mop in mops:
            if type(mop) is not list or not mop or mop[0] not in ("send", "poll"):
                raise JepsenInputError(
                    position,
                    f"micro-op must be [:send key value] or [:poll ...], got {mop!r}"[:160],
                )
            if mop[0] == "send":
                key, offset, value = self._parse_send(mop)
                sent.setdefault(key, []).append(value)
                if kind != "fail":
                    by_message = writers.get(key)
                    if by_message is None:
                        by_message = writers[key] = {}
                    if value not in by_message:
                        by_message[value] = facts
                done = kind if kind != "ok" else ("ok" if offset is not None else "info")
                sink.feed_send(done, invoked_at, position, process, key, offset, value)
            elif kind == "ok" and len(mop) >= 2:
                self._poll_records(mop, reads)
        if len(mops) > 1 or op["f"] == "txn":
            self._transactional = True
            if kind != "fail":
                self.transactional_ops.append((facts, sent, reads))
        if kind == "ok" and (reads or op.get("rebalance-log")):
            self._feed_polls(op, facts, reads, sent, sink)

    def _feed_single_poll(self, polled: Any, facts: OpFacts, sink: MicroOpSink) -> None:
        """The polls of an ok op whose only micro-op is one poll (as `_poll_records` and
        `_feed_polls` read it, without their intermediate maps)."""
        if type(polled) is not dict:
            raise JepsenInputError(
                self.position, "a completed poll is [:poll {key [[offset value] ...]}]"
            )
        if not polled:
            return
        process = facts.process
        positions = self._positions.get(process)
        if positions is None:
            positions = self._positions[process] = {}
        first_readers = self.first_readers
        invoked_at, at = facts.invoked_at, self.position
        feed_poll = sink.feed_poll
        for raw_key, records in polled.items():
            key = raw_key if type(raw_key) is str else _key(raw_key)
            if key is None or type(records) is not list:
                raise JepsenInputError(
                    self.position,
                    f"poll result must map keys to [[offset value] ...], got {raw_key!r}"[:120],
                )
            readers = first_readers.get(key)
            if readers is None:
                readers = first_readers[key] = {}
            last = positions.get(key)
            if last is None:
                self.unknown_positions += 1
                start = None
            else:
                start = last + 1
            try:  # (`_feed_poll`, inlined: one call less per poll)
                feed_poll(invoked_at, at, process, key, start, records, False, readers, facts)
            except (LogInputError, TypeError, ValueError, IndexError):
                if pairs_shape(records):
                    raise
                raise bad_records(self.position, records) from None
            if records:
                positions[key] = records[-1][0]

    def _feed_polls(
        self,
        op: dict[str, Any],
        facts: OpFacts,
        reads: dict[str, list[Any]],
        sent: dict[str, list[Any]],
        sink: MicroOpSink,
    ) -> None:
        """The polls of one ok op, one per key read (as `_polls`)."""
        rebalanced = self._rebalanced_keys(op) if op.get("rebalance-log") else _NO_KEYS
        process = facts.process
        positions = self._positions.get(process)
        if positions is None:
            positions = self._positions[process] = {}
        for key in rebalanced:
            positions.pop(key, None)
        first_readers = self.first_readers
        invoked_at, at = facts.invoked_at, self.position
        for key, chunks in reads.items():
            mine = sent.get(key)
            if mine:
                self._precommitted(key, mine, chunks, facts)
            readers = first_readers.get(key)
            if readers is None:
                readers = first_readers[key] = {}
            if key in rebalanced:
                for records in chunks:
                    self.unknown_positions += 1
                    self._feed_poll(
                        sink, invoked_at, at, process, key, None, records, True, readers, facts
                    )
                    if records:
                        positions[key] = records[-1][0]
                positions.pop(key, None)
                continue
            records = chunks[0] if len(chunks) == 1 else [r for chunk in chunks for r in chunk]
            last = positions.get(key)
            if last is None:
                self.unknown_positions += 1
            self._feed_poll(
                sink,
                invoked_at,
                at,
                process,
                key,
                None if last is None else last + 1,
                records,
                False,
                readers,
                facts,
            )
            if records:
                positions[key] = records[-1][0]

    def _feed_poll(
        self,
        sink: MicroOpSink,
        invoked_at: int,
        at: int,
        process: int,
        key: str,
        start: int | None,
        records: list[Any],
        rebalanced: bool,
        readers: dict[Hashable, OpFacts],
        facts: OpFacts,
    ) -> None:
        try:
            sink.feed_poll(invoked_at, at, process, key, start, records, rebalanced, readers, facts)
        except (LogInputError, TypeError, ValueError, IndexError):
            if pairs_shape(records):
                raise  # the log checker's own reason (or a bug: not blamed on the input)
            # what the translator rejects before the log checker looks at the records
            raise bad_records(self.position, records) from None

    def _consumer(self, op: dict[str, Any], invoke: dict[str, Any]) -> None:
        """assign / subscribe / crash: which positions survive (Jepsen keeps those of the
        keys that stay assigned, as Kafka's consumer does)."""
        self.consumer_ops += 1
        f, process = op["f"], op["process"]
        if f == "crash":
            self._positions.pop(process, None)
            return
        if f == "subscribe":
            self.subscribed = True
        if op["type"] == "fail":
            return
        keys = op.get("value", invoke.get("value"))
        if type(keys) is not list or any(_key(k) is None for k in keys):
            raise JepsenInputError(self.position, f"{f}'s value must be a vector of keys")
        positions = self._positions.get(process)
        if not positions:
            return
        if op.get("seek-to-beginning?") or invoke.get("seek-to-beginning?"):
            positions.clear()  # the log's start: not necessarily offset 0 (retention)
            return
        kept = {_key(k) for k in keys}
        for key in [k for k in positions if k not in kept]:
            del positions[key]

    def _micro_ops(
        self, position: int, invoked: tuple[int, dict[str, Any]], op: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The translated ops of one completed Jepsen op (a list, not a generator: nested
        generators cost a frame switch per item on the hot path)."""
        out: list[dict[str, Any]] = []
        invoked_at, invoke = invoked
        kind = op["type"]
        process = op["process"]
        index = op.get("index", position)
        invoke_index = invoke.get("index", invoked_at) if invoke is not op else index
        mops = op.get("value")
        if kind != "ok" and not (type(mops) is list and mops and type(mops[0]) is list):
            mops = invoke.get("value")  # an info/fail completion usually repeats nothing
        if type(mops) is not list:
            raise JepsenInputError(
                position, f"a {op['f']} op's value must be a vector of micro-ops"
            )
        facts = OpFacts(
            index=index,
            invoke_index=invoke_index,
            process=process,
            invoked_at=invoked_at,
            completed_at=float("inf") if kind == "info" else position,
            f=op["f"],
        )
        reads: dict[str, list[Any]] = {}
        sent: dict[str, list[Any]] = {}
        for mop in mops:
            if type(mop) is not list or not mop or mop[0] not in ("send", "poll"):
                raise JepsenInputError(
                    position,
                    f"micro-op must be [:send key value] or [:poll ...], got {mop!r}"[:160],
                )
            if mop[0] == "send":
                out.extend(self._send(mop, kind, process, index, invoke_index, facts, sent))
            elif kind == "ok" and len(mop) >= 2:
                self._poll_records(mop, reads)
        if len(mops) > 1 or op["f"] == "txn":
            self._transactional = True
            if kind != "fail":
                self.transactional_ops.append((facts, sent, reads))
        if kind == "ok" and (reads or op.get("rebalance-log")):
            self._polls(out, op, process, index, invoke_index, facts, reads, sent)
        return out

    def _send(
        self,
        mop: list[Any],
        kind: str,
        process: int,
        index: int,
        invoke_index: int,
        facts: OpFacts,
        sent: dict[str, list[Any]],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        key, offset, value = self._parse_send(mop)
        sent.setdefault(key, []).append(value)
        if kind != "fail":
            self.writers.setdefault(key, {}).setdefault(value, facts)
        done_type = kind if kind != "ok" else ("ok" if offset is not None else "info")
        invocation = {
            "process": process,
            "type": "invoke",
            "f": "send",
            "key": key,
            "value": value,
            "index": invoke_index,
            "at": facts.invoked_at,
        }
        completion = {
            "process": process,
            "type": done_type,
            "f": "send",
            "key": key,
            "value": value,
            "index": index,
            "at": self.position,
        }
        if offset is not None:
            completion["offset"] = offset
        return invocation, completion

    def _parse_send(self, mop: list[Any]) -> tuple[str, int | None, str | int]:
        """A send micro-op's key, offset (None: not reported) and message, validated."""
        if len(mop) != 3:
            raise JepsenInputError(self.position, "a send micro-op is [:send key value]")
        key = _key(mop[1])
        if key is None:
            raise JepsenInputError(
                self.position, f"send key must be an integer or a string, got {mop[1]!r}"[:120]
            )
        value = mop[2]
        offset = None
        if type(value) is list:
            if len(value) != 2:
                raise JepsenInputError(
                    self.position, "a completed send is [:send key [offset value]]"
                )
            offset, value = value
            if offset is not None and (type(offset) is not int or offset < 0):
                raise JepsenInputError(
                    self.position,
                    f"send offset must be a non-negative integer or nil, got {offset!r}"[:120],
                )
        if not _scalar(value):
            raise JepsenInputError(
                self.position, f"sent value must be an integer or a string, got {value!r}"[:120]
            )
        return key, offset, value

    def _poll_records(self, mop: list[Any], reads: dict[str, list[Any]]) -> None:
        polled = mop[1]
        if polled is None:
            return
        if type(polled) is not dict:
            raise JepsenInputError(
                self.position, "a completed poll is [:poll {key [[offset value] ...]}]"
            )
        for raw_key, pairs in polled.items():
            key = _key(raw_key)
            if key is None or type(pairs) is not list:
                raise JepsenInputError(
                    self.position,
                    f"poll result must map keys to [[offset value] ...], got {raw_key!r}"[:120],
                )
            # the records themselves are checked by the log checker (cheaply, on its path)
            reads.setdefault(key, []).append(pairs)  # one chunk per poll micro-op

    def _polls(
        self,
        out: list[dict[str, Any]],
        op: dict[str, Any],
        process: int,
        index: int,
        invoke_index: int,
        facts: OpFacts,
        reads: dict[str, list[Any]],
        sent: dict[str, list[Any]],
    ) -> None:
        rebalanced = self._rebalanced_keys(op)
        positions = self._positions.setdefault(process, {})
        for key in rebalanced:
            positions.pop(key, None)  # wherever the new owner's position is: unknown
        first_readers = self.first_readers
        for key, chunks in reads.items():
            mine = sent.get(key)
            if mine:
                self._precommitted(key, mine, chunks, facts)
            if key in rebalanced:
                # a rebalance within the op: each poll starts wherever the new assignment
                # put the consumer, so the polls are not one contiguous read
                for records in chunks:
                    out += self._poll(
                        process, index, invoke_index, facts, key, records, None, True, first_readers
                    )
                positions.pop(key, None)  # the rebalance may have come after the last poll
                continue
            records = chunks[0] if len(chunks) == 1 else [r for chunk in chunks for r in chunk]
            out += self._poll(
                process,
                index,
                invoke_index,
                facts,
                key,
                records,
                positions.get(key),
                False,
                first_readers,
            )

    def _poll(
        self,
        process: int,
        index: int,
        invoke_index: int,
        facts: OpFacts,
        key: str,
        records: list[Any],
        last: int | None,
        rebalanced: bool,
        first_readers: dict[str, dict[Any, OpFacts]],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One translated poll: `last` is where the process's previous read of `key`
        ended (None: the position is unknown)."""
        positions = self._positions.setdefault(process, {})
        completion = {
            "process": process,
            "type": "ok",
            "f": "poll",
            "key": key,
            "value": records,
            "index": index,
            "at": self.position,
        }
        if last is None:
            self.unknown_positions += 1
            completion["offset"] = None
            completion["unknown_start"] = True
        else:
            completion["offset"] = last + 1
        if rebalanced:
            completion["rebalanced"] = True
        if records:
            readers = first_readers.setdefault(key, {})
            try:
                positions[key] = records[-1][0]
                for _, message in records:
                    if message not in readers:
                        readers[message] = facts
            except (TypeError, ValueError):
                raise bad_records(self.position, records) from None
        invocation = {
            "process": process,
            "type": "invoke",
            "f": "poll",
            "key": key,
            "offset": completion["offset"],
            "index": invoke_index,
            "at": facts.invoked_at,
        }
        return invocation, completion

    def _rebalanced_keys(self, op: dict[str, Any]) -> set[str]:
        log = op.get("rebalance-log")
        if not log:
            return set()
        keys: set[str] = set()
        for event in log if type(log) is list else ():
            for raw in (event.get("keys") or ()) if type(event) is dict else ():
                key = _key(raw)
                if key is not None:
                    keys.add(key)
        return keys

    def _precommitted(
        self, key: str, mine: list[Any], chunks: list[list[Any]], facts: OpFacts
    ) -> None:
        """precommitted-read: Kafka consumers read committed data only, so an op (a
        transaction) can never read back a message it sent itself before committing."""
        written = set(mine)
        for records in chunks:
            try:
                for offset, message in records:
                    if message in written:
                        self.precommitted.append(
                            {"key": key, "offset": offset, "message": message, "op": facts.ref()}
                        )
                        return
            except (TypeError, ValueError):
                raise bad_records(self.position, records) from None


def bad_records(position: int, records: Any) -> JepsenInputError:
    return JepsenInputError(
        position, f"polled records must be [offset value] pairs, got {records!r}"[:160]
    )


def jepsen_calls(ops: Iterable[dict[str, Any]]) -> list[Call]:
    """Jepsen-shape ops as the linearizability checker's calls, one per micro-op (per key
    read), each spanning its op's invocation and completion in the Jepsen history."""
    translator = JepsenKafka()
    calls = []
    stream = translator.translate(ops)
    for invocation in stream:
        completion = next(stream)
        status = completion["type"]
        if status == "fail":
            continue
        calls.append(
            Call(
                process=invocation["process"],
                f=invocation["f"],
                key=invocation["key"],
                status="ok" if status == "ok" else "info",
                call_pos=invocation["at"],
                return_pos=completion["at"] if status == "ok" else None,
                invoke=invocation,
                completion=completion,
            )
        )
    calls.sort(key=lambda call: call.call_pos)
    return calls
