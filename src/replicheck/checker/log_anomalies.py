"""Jepsen's Kafka anomaly taxonomy for send/poll histories of a partitioned log.

`check_log(ops)` makes one pass over the history (it accepts any iterable, so a file can
be streamed through it) and keeps per partition only what later operations can contradict:
the first message observed at each offset, the first offset of each message, and the
acknowledged sends. Each poll is checked when it completes, against everything that
completed before it was invoked, so the work is linear in the number of operations plus
the number of records the polls returned. The exact definitions (and why each is sound on
a correct Kafka, so that a correct run is never flagged) are in docs/log-checker.md.

Operation tuples used internally (one tuple per completed operation, shared by every
record it returned, so memory stays proportional to the log, not to reads × log):

    send: ("send", invoke_position, position, process, key, offset, message)
    poll: ("poll", invoke_position, position, process, key, start_offset, final, first, last, count)

Positions (0-based places in the history) order operations: line order is real time
(docs/history-format.md). An op's `index` field only names it in the evidence, so a
history whose indices are reversed or arbitrary gets the same verdict as one numbered by
line; the `_Checker.ids` map translates positions back to those names.
"""

from __future__ import annotations

import bisect
import gc
from collections.abc import Callable, Container, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter, sub
from typing import Any, TypeVar

from replicheck.checker.log_input import LogInputError, bad_offset, bad_scalar, log_op_problem
from replicheck.checker.log_order import LOG_ORDER, PROCESS_ORDER, order_cycle

__all__ = ["ANOMALY_KINDS", "LogInputError", "LogVerdict", "check_log", "log_op_problem"]

LOST_WRITE = "lost-write"
INCONSISTENT_OFFSETS = "inconsistent-offsets"
DUPLICATE = "duplicate"
NONMONOTONIC_POLL = "nonmonotonic-poll"
NONMONOTONIC_SEND = "nonmonotonic-send"
POLL_SKIP = "poll-skip"
UNSEEN = "unseen"
INT_NONMONOTONIC_POLL = "int-nonmonotonic-poll"
INT_POLL_SKIP = "int-poll-skip"
INT_NONMONOTONIC_SEND = "int-nonmonotonic-send"
INT_SEND_SKIP = "int-send-skip"
G1A = "G1a"

#: every anomaly kind, in the order reports list them (durability first)
ANOMALY_KINDS: tuple[str, ...] = (
    LOST_WRITE,
    UNSEEN,
    INCONSISTENT_OFFSETS,
    DUPLICATE,
    NONMONOTONIC_SEND,
    NONMONOTONIC_POLL,
    POLL_SKIP,
    INT_NONMONOTONIC_SEND,
    INT_SEND_SKIP,
    INT_NONMONOTONIC_POLL,
    INT_POLL_SKIP,
    G1A,
)

#: default cap on evidence entries kept per anomaly kind (counts are always exact)
MAX_EVIDENCE = 1000
#: cap on the operations listed for one message of an inconsistent offset / duplicate
MAX_OPS_PER_FACT = 3
#: a gap inside one poll wider than this is checked against the acknowledged offsets
#: instead of offset by offset (only adversarial histories have such gaps)
GAP_SCAN_LIMIT = 64
#: how far beyond the highest known offset `_Partition.known` still grows (see there)
KNOWN_SLACK = 1 << 16


#: whatever the micro-op feed records as a message's first reader (opaque here)
R = TypeVar("R")

_NO_RECORDS: list[Any] = []
_second = itemgetter(1)  # shared by every poll that returned null (never mutated)

# positions in the operation tuples
_KIND, _INVOKE, _INDEX, _PROCESS, _KEY = 0, 1, 2, 3, 4
_SEND_OFFSET, _SEND_MESSAGE = 5, 6
_POLL_START, _POLL_FINAL, _POLL_FIRST, _POLL_LAST, _POLL_COUNT = 5, 6, 7, 8, 9


@dataclass
class PartitionView:
    """What the HTML strip needs about one partition (not part of the JSON verdict)."""

    key: str
    offset_ranges: list[tuple[int, int]]  # observed offsets, as inclusive runs
    acked_offsets: int
    highlights: dict[int, list[str]] = field(default_factory=dict)  # offset -> kinds
    #: offset -> the first message observed there (the version order; not copied)
    observed: dict[int, Hashable] = field(default_factory=dict, repr=False)


@dataclass
class LogVerdict:
    """The checker's answer: anomalies (Jepsen names → evidence) and statistics."""

    anomalies: dict[str, list[dict[str, Any]]]
    stats: dict[str, Any]
    partitions: dict[str, PartitionView] = field(default_factory=dict, repr=False)
    #: kinds that are reported but do not invalidate the run (`--allow`; none by default)
    allowed: frozenset[str] = frozenset()

    @property
    def valid(self) -> bool:
        return not self.invalidating

    @property
    def invalidating(self) -> list[str]:
        """The kinds found that make the run invalid, in report order."""
        return [kind for kind in self.anomalies if kind not in self.allowed]

    @property
    def allowed_present(self) -> list[str]:
        """The kinds found that are allowed, in report order."""
        return [kind for kind in self.anomalies if kind in self.allowed]

    def to_json(self) -> dict[str, Any]:
        """`{"valid", "anomalies", "allowed_anomalies", "allowed", "stats"}` for orjson:
        `anomalies` holds the kinds that invalidate the run, `allowed_anomalies` the kinds
        found that are allowed."""
        return {
            "valid": self.valid,
            "anomalies": {kind: self.anomalies[kind] for kind in self.invalidating},
            "allowed_anomalies": {kind: self.anomalies[kind] for kind in self.allowed_present},
            "allowed": sorted(self.allowed),
            "stats": self.stats,
        }

    def render_text(self, max_examples: int = 3) -> str:
        """A one-line verdict, then each anomaly kind with its count and first evidence."""
        from replicheck.checker.log_text import render_verdict_text

        return render_verdict_text(self, max_examples)


def op_ref(op: tuple[Any, ...], name: Any = None) -> dict[str, Any]:
    """The evidence form of an internal operation tuple; `name` maps a position to the
    op's `index` (identity if omitted)."""
    if name is None:
        name = _same
    ref: dict[str, Any] = {
        "index": name(op[_INDEX]),
        "invoke_index": name(op[_INVOKE]),
        "process": op[_PROCESS],
        "f": op[_KIND],
    }
    if op[_KIND] == "send":
        ref["offset"] = op[_SEND_OFFSET]
        ref["message"] = op[_SEND_MESSAGE]
    else:
        ref["start_offset"] = op[_POLL_START]
        if op[_POLL_COUNT]:
            ref["offsets"] = [op[_POLL_FIRST], op[_POLL_LAST]]
        ref["count"] = op[_POLL_COUNT]
        if op[_POLL_FINAL]:
            ref["final"] = True
    return ref


def _same(position: int) -> int:
    return position


class _Partition:
    """Everything one partition's later operations can contradict."""

    __slots__ = (
        "acked",
        "acked_extra",
        "conflicted",
        "conflicts",
        "dups",
        "fallback",
        "final_polls",
        "int_skip_candidates",
        "key",
        "known",
        "last_poll",
        "last_send",
        "lost",
        "messages",
        "observed",
        "observed_by",
        "polled",
        "read",
        "readers",
        "skip_candidates",
    )

    def __init__(self, key: str) -> None:
        self.key = key
        self.observed: dict[int, Hashable] = {}  # offset -> first message seen there
        self.observed_by: dict[int, tuple[Any, ...]] = {}  # offset -> op that first showed it
        self.messages: dict[Hashable, int] = {}  # message -> first offset seen at
        self.acked: dict[int, tuple[Any, ...]] = {}  # offset -> first ok send acknowledged there
        self.acked_extra: dict[int, list[tuple[Any, ...]]] = {}  # further ok sends at one offset
        self.conflicted: list[int] = []  # sorted offsets with ≥ 2 messages
        self.conflicts: dict[int, dict[Hashable, list[tuple[Any, ...]]]] = {}
        self.dups: dict[Hashable, dict[int, list[tuple[Any, ...]]]] = {}
        self.lost: dict[
            int, tuple[tuple[Any, ...], tuple[Any, ...], Any]
        ] = {}  # send index -> (send, read, shown)
        self.final_polls: list[tuple[tuple[Any, ...], list[Any]]] = []
        # per process: its last ok send here, and (last offset, poll) of its last ok poll
        self.last_send: dict[Any, tuple[Any, ...]] = {}
        self.last_poll: dict[Any, tuple[int, tuple[Any, ...]]] = {}
        # fallback final read: [first poll, process, last offset, [(poll, records), ...]],
        # with a fifth item True once a continuation came back empty (end reached)
        self.fallback: list[Any] | None = None
        self.skip_candidates: list[tuple[tuple[Any, ...], tuple[Any, ...], int, int]] = []
        # gaps inside one op's records of this partition: (kind, op, previous op, below, above)
        self.int_skip_candidates: list[tuple[str, tuple[Any, ...], tuple[Any, ...], int, int]] = []
        # messages returned by any ok poll (only kept when unseen counts every poll)
        self.polled: set[Hashable] | None = None
        # the same for the micro-op feed: its first-readers map, keyed by those messages
        self.readers: Mapping[Hashable, object] | None = None
        # known[o] == [o, observed[o]] for the offsets below len(known) seen so far (None
        # elsewhere): a poll whose records equal a slice of it is dense and shows nothing
        # new, which one C-level comparison tells. Offsets far beyond the known ones are
        # left out (adversarial offsets must not allocate), which only costs speed.
        self.known: list[list[Any] | None] = []
        # read[o] == 1: some ok poll returned [o, observed[o]] (its reader is recorded)
        self.read = bytearray()

    def note_first(self, offset: int, message: Hashable) -> None:
        """Keep `known` in step with the first message observed at `offset`."""
        known = self.known
        size = len(known)
        if offset < size:
            known[offset] = [offset, message]
        elif offset < size + KNOWN_SLACK:
            if offset > size:
                known.extend([None] * (offset - size))
                self.read.extend(bytes(offset - size))
            known.append([offset, message])
            self.read.append(0)

    # -- observations ------------------------------------------------------------------
    def observe(self, offset: int, message: Hashable, op: tuple[Any, ...]) -> None:
        """Record that `op` showed `message` at `offset` (a read or an acknowledgement)."""
        current = self.observed.get(offset)
        if current is None:
            self.observed[offset] = message
            self.observed_by[offset] = op
            self.note_first(offset, message)
        elif current != message:
            self._conflict(offset, current, message, op)
        else:
            return
        first_offset = self.messages.get(message)
        if first_offset is None:
            self.messages[message] = offset
        elif first_offset != offset:
            self._duplicate(message, first_offset, offset, op)

    def _first_op(self, offset: int, message: Hashable) -> tuple[Any, ...]:
        if self.observed[offset] == message:
            return self.observed_by[offset]
        return self.conflicts[offset][message][0]

    def _conflict(
        self, offset: int, current: Hashable, message: Hashable, op: tuple[Any, ...]
    ) -> None:
        facts = self.conflicts.get(offset)
        if facts is None:
            facts = self.conflicts[offset] = {current: [self.observed_by[offset]]}
            bisect.insort(self.conflicted, offset)
        ops = facts.setdefault(message, [])
        if len(ops) < MAX_OPS_PER_FACT and op not in ops:
            ops.append(op)

    def _duplicate(
        self, message: Hashable, first_offset: int, offset: int, op: tuple[Any, ...]
    ) -> None:
        facts = self.dups.get(message)
        if facts is None:
            facts = self.dups[message] = {first_offset: [self._first_op(first_offset, message)]}
        ops = facts.setdefault(offset, [])
        if len(ops) < MAX_OPS_PER_FACT and op not in ops:
            ops.append(op)

    def has_conflict_in(self, first: int, last: int) -> bool:
        at = bisect.bisect_left(self.conflicted, first)
        return at < len(self.conflicted) and self.conflicted[at] <= last

    # -- lost writes ---------------------------------------------------------------------
    def check_covered(
        self,
        offset: int,
        shown: Any,
        poll: tuple[Any, ...],
        records: list[Any],
        shown_messages: Any,
    ) -> Any:
        """Acknowledged sends at `offset` that `poll` (invoked after their ack) lacks.

        `shown` is what the poll returned at `offset` (None: nothing). `shown_messages`
        is the set of messages in `records`, built only when first needed: the caller
        passes back what this returns.
        """
        sends = []
        first = self.acked.get(offset)
        if first is not None:
            sends.append(first)
            sends.extend(self.acked_extra.get(offset, ()))
        for send in sends:
            message = send[_SEND_MESSAGE]
            if send[_INDEX] >= poll[_INVOKE] or message == shown or send[_INDEX] in self.lost:
                continue
            if shown_messages is None:
                shown_messages = {record[1] for record in records}
            if message not in shown_messages:
                self.lost[send[_INDEX]] = (send, poll, shown)
        return shown_messages


@dataclass
class _Found:
    """Anomaly collection with exact counts and capped evidence."""

    max_evidence: int
    anomalies: dict[str, list[dict[str, Any]]] = field(default_factory=dict[str, Any])
    counts: dict[str, int] = field(default_factory=dict)

    def keeps(self, kind: str) -> bool:
        """Whether the next `add` of `kind` keeps its evidence (so it is worth building)."""
        return len(self.anomalies.get(kind, ())) < self.max_evidence

    def count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.anomalies.setdefault(kind, [])

    def add(self, kind: str, evidence: dict[str, Any]) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        bucket = self.anomalies.setdefault(kind, [])
        if len(bucket) < self.max_evidence:
            bucket.append(evidence)


class _Checker:
    def __init__(
        self, max_evidence: int, unseen_polls: bool = False, positioned: bool = False
    ) -> None:
        assert max_evidence >= 0
        self.found = _Found(max_evidence)
        self.unseen_polls = unseen_polls
        self.positioned = positioned
        self.partitions: dict[str, _Partition] = {}
        self.pending: dict[Any, tuple[int, dict[str, Any]]] = {}
        self.nonmonotonic_sends: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []
        self.nonmonotonic_polls: list[dict[str, Any]] = []
        self.int_nonmonotonic_sends: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []
        self.int_nonmonotonic_polls: list[dict[str, Any]] = []
        self.any_final = False
        self.failed_messages: dict[
            Hashable, dict[Hashable, tuple[Any, ...]]
        ] = {}  # key -> message -> failed send
        self.info_offsets: list[tuple[Any, ...]] = []  # info sends that reported an offset anyway
        # the `index` of the op at a position, where it is not position + ids_base
        self.ids: dict[int, Any] = {}
        self.ids_base = 0
        self.fed = 0  # micro-ops fed (counted as the two ops each replaces)
        self.fed_polls = 0
        self.records_read = 0
        self.stats: dict[str, Any] = {
            "ops": 0,
            "sends": {"ok": 0, "info": 0, "fail": 0},
            "polls": {"ok": 0, "info": 0, "fail": 0},
            "records_read": 0,
            "other_ops": 0,
            "unmatched_completions": 0,
        }

    def name(self, position: int) -> Any:
        """The identifier evidence shows for the op at `position` (its `index` field)."""
        found = self.ids.get(position)
        return position + self.ids_base if found is None else found

    def op_ref(self, op: tuple[Any, ...]) -> dict[str, Any]:
        return op_ref(op, self.name)

    def note_id(self, position: int, op: dict[str, Any]) -> None:
        """Remember an op's `index` where it is not the expected position + base."""
        ident = op.get("index", position)
        if position == 0 and type(ident) is int and not self.positioned:
            # (positioned ops arrive out of order: a base set late would rename earlier ops)
            self.ids_base = ident
        elif ident != position + self.ids_base:
            self.ids[position] = ident

    def partition(self, key: str) -> _Partition:
        part = self.partitions.get(key)
        if part is None:
            part = self.partitions[key] = _Partition(key)
            if self.unseen_polls:
                part.polled = set()
        return part

    # -- the single pass -------------------------------------------------------------------
    def run(self, ops: Iterable[dict[str, Any]]) -> None:
        """Consume the history once. The common case (an operation that shows nothing new)
        stays inline in this loop; anything new or suspicious goes to a helper."""
        pending = self.pending
        pending_pop = pending.pop
        partitions = self.partitions
        tally: dict[tuple[str, str], int] = {}  # (f, type) of completions other than ok
        sends_ok = polls_ok = records_read = 0
        position = -1
        consumed = 0
        op: Any = None
        note_id = self.note_id
        positioned = self.positioned
        try:
            for consumed, op in enumerate(ops, start=1):
                position = consumed - 1
                if positioned:
                    position = op["at"]  # where it happened (the stream is out of order)
                invoked = None
                kind = op["type"]
                if op.get("index", position) != position + self.ids_base or not position:
                    note_id(position, op)
                if kind == "invoke":
                    pending[op["process"]] = (position, op)
                    continue
                index = position
                process = op["process"]
                invoked = pending_pop(process, None)
                if invoked is None:
                    self.stats["unmatched_completions"] += 1
                    invoke_index, invoke = index, op
                else:
                    invoke_index, invoke = invoked
                f = op["f"]
                if kind != "ok":
                    tally[f, kind] = tally.get((f, kind), 0) + 1
                    if f == "send":
                        self.unacknowledged(op, invoke, kind, invoke_index, index)
                    continue
                if f != "send" and f != "poll":  # not a log operation: counted, not read
                    tally[f, kind] = tally.get((f, kind), 0) + 1
                    continue
                key = op.get("key")
                if key is None:
                    key = invoke.get("key")
                part = partitions.get(key)
                if part is None:
                    if bad_scalar(key):
                        raise LogInputError(position, log_op_problem(op, invoke) or "bad key")
                    part = self.partition(key)
                if f == "send":
                    sends_ok += 1
                    message = op.get("value")
                    if message is None:
                        message = invoke["value"]
                    offset = op["offset"]
                    # inline forms of bad_offset / bad_scalar: this runs once per send
                    if (
                        type(offset) is not int
                        or offset < 0
                        or (type(message) is not str and type(message) is not int)
                    ):
                        raise LogInputError(position, log_op_problem(op, invoke) or "bad send")
                    self.send_ok(part, ("send", invoke_index, index, process, key, offset, message))
                elif f == "poll":
                    polls_ok += 1
                    start = invoke.get("offset")
                    if start is None:
                        start = op.get("offset")
                    final = op.get("final") or invoke.get("final") or False
                    records = op["value"]
                    if records is None:
                        records = _NO_RECORDS
                    if (type(start) is not int or start < 0 or type(records) is not list) and not (
                        start is None and op.get("unknown_start") and type(records) is list
                    ):
                        # (a translated Jepsen poll may say its consumer position is unknown)
                        raise LogInputError(position, log_op_problem(op, invoke) or "bad poll")
                    count = len(records)
                    records_read += count
                    if count:
                        first = records[0][0]
                        last = records[-1][0]
                        if type(first) is not int or first < 0:
                            raise LogInputError(position, log_op_problem(op, invoke) or "bad poll")
                    else:
                        first = last = None
                    poll = (
                        "poll",
                        invoke_index,
                        index,
                        process,
                        key,
                        start,
                        final,
                        first,
                        last,
                        count,
                    )
                    if final:
                        self.any_final = True
                        part.final_polls.append((poll, records))
                    if part.polled is not None:
                        part.polled.update([record[1] for record in records])
                    if start is None:
                        pass  # the consumer's position is unknown: no position checks
                    elif start == 0:
                        part.fallback = [
                            poll,
                            process,
                            -1 if last is None else last,
                            [(poll, records)],
                        ]
                        if not count:
                            part.fallback.append(True)  # an empty log, seen to its end
                    else:
                        group = part.fallback
                        if group is not None and start == group[2] + 1 and group[1] == process:
                            self.extend_fallback(group, poll, records, last)
                    if count:
                        self.poll_records(part, poll, records, bool(op.get("rebalanced")))
                else:
                    tally[f, kind] = tally.get((f, kind), 0) + 1
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            if isinstance(exc, LogInputError):
                if exc.position is None:  # raised where the position was not known
                    raise LogInputError(position, exc.reason) from None
                raise
            reason = log_op_problem(op, None if invoked is None else invoked[1])
            if reason is None:
                raise  # the op is fine: this is a bug in the checker, do not blame the input
            raise LogInputError(position, reason) from None
        stats = self.stats
        stats["ops"] = consumed
        stats["pending_at_end"] = len(pending)
        stats["records_read"] = records_read
        stats["sends"]["ok"] += sends_ok
        stats["polls"]["ok"] += polls_ok
        for (f, kind), n in tally.items():
            if f in ("send", "poll"):
                stats[f + "s"][kind] = stats[f + "s"].get(kind, 0) + n
            else:
                stats["other_ops"] += n

    # -- one completed send / poll (shared by the dict pass and the micro-op feed) ---------------
    def send_ok(self, part: _Partition, send: tuple[Any, ...]) -> None:
        """An acknowledged send: the version order, and the order of the process's sends."""
        offset, message = send[_SEND_OFFSET], send[_SEND_MESSAGE]
        last_send = part.last_send
        process = send[_PROCESS]
        previous = last_send.get(process)
        if previous is not None:
            if previous[_INDEX] == send[_INDEX]:
                # two sends of one transaction (one op): Jepsen's int- checks
                self.internal_sends(part, previous, send)
            elif offset <= previous[_SEND_OFFSET]:
                self.nonmonotonic_sends.append((previous, send))
        last_send[process] = send
        acked = part.acked
        if offset in acked:
            part.acked_extra.setdefault(offset, []).append(send)
        else:
            acked[offset] = send
        observed = part.observed
        if offset not in observed and message not in part.messages:
            observed[offset] = message  # the common case: a new record
            part.observed_by[offset] = send
            part.messages[message] = offset
            known = part.known
            if offset == len(known):  # `note_first`'s common case: the next offset
                known.append([offset, message])
                part.read.append(0)
            else:
                part.note_first(offset, message)
        elif observed.get(offset) != message:
            part.observe(offset, message, send)

    def poll_records(
        self, part: _Partition, poll: tuple[Any, ...], records: list[Any], rebalanced: bool
    ) -> bool:
        """A non-empty ok poll: its records against the log, then against the process's
        previous poll of the partition. True if the records were exactly the known ones
        at their offsets (`part.known`)."""
        first, last, start = poll[_POLL_FIRST], poll[_POLL_LAST], poll[_POLL_START]
        # fast path: dense, ascending, and every record already known (one C-level
        # comparison with the known records, then one lookup per record)
        dense_known = records == part.known[first : first + len(records)]
        if not dense_known or (part.conflicted and part.has_conflict_in(first, last)):
            # (on records all known at their offsets it only looks at the conflicts)
            last = self.check_poll_slow(part, poll, records, rebalanced)
        self._order_after_previous(part, poll, poll[_PROCESS], poll[_KEY], start, first, last)
        return dense_known

    def _order_after_previous(
        self,
        part: _Partition,
        poll: tuple[Any, ...],
        process: Any,
        key: Any,
        start: int | None,
        first: int,
        last: int,
    ) -> None:
        """Compare a poll with the same consumer's previous poll of `key` and remember it:
        a rewind past records already read is nonmonotonic; a gap right after the previous
        poll is a skip candidate (judged later, once every write is known)."""
        last_poll = part.last_poll
        state = last_poll.get(process)
        last_poll[process] = (last, poll)
        if state is not None and start is not None and first != start and start >= state[0]:
            self.judge_order(part, poll, state, start, first)  # (both verdicts need first != start)

    def judge_order(
        self,
        part: _Partition,
        poll: tuple[Any, ...],
        state: tuple[int, tuple[Any, ...]],
        start: int,
        first: int,
    ) -> None:
        """`_order_after_previous`' verdict, once the previous poll `state` (last offset,
        poll) is known and `start` is at or after its last offset."""
        previous_last = state[0]
        key, process = poll[_KEY], poll[_PROCESS]
        if first < start and first <= previous_last:
            self.nonmonotonic_polls.append(
                {
                    "key": key,
                    "process": process,
                    "within_poll": False,
                    "previous": state[1],
                    "poll": poll,
                    "previous_offset": previous_last,
                    "offset": first,
                }
            )
        elif start == previous_last + 1 and first > start:
            part.skip_candidates.append((state[1], poll, start, first))

    # -- the micro-op feed (Jepsen's shape, replicheck.checker.jepsen_kafka) -------------------
    # Each call is one completed micro-op, placed in real time by the positions of its
    # Jepsen invocation and completion: no per-micro-op dicts, no pairing here. What the
    # dict pass would count for the two ops it replaces is counted the same way.
    def feed_send(
        self,
        kind: str,
        invoke_at: int,
        at: int,
        process: int,
        key: str,
        offset: int | None,
        message: Hashable,
    ) -> None:
        """A send micro-op completed `kind` (ok only with an offset); validated upstream."""
        self.fed += 2
        self.stats["sends"][kind] += 1
        if kind == "ok":
            assert offset is not None
            part = self.partitions.get(key)
            if part is None:
                part = self.partition(key)
            self.send_ok(part, ("send", invoke_at, at, process, key, offset, message))
        elif kind == "fail":
            send = ("send", invoke_at, at, process, key, None, message)
            self.failed_messages.setdefault(key, {}).setdefault(message, send)
        elif offset is not None:
            self.info_offsets.append(("send", invoke_at, at, process, key, offset, message))

    def feed_poll(
        self,
        invoke_at: int,
        at: int,
        process: int,
        key: str,
        start: int | None,
        records: list[Any],
        rebalanced: bool,
        readers: dict[Hashable, R],
        reader: R,
    ) -> None:
        """An ok poll of one key, starting at `start` (None: the consumer's position is
        unknown). `readers` (message -> the first op that read it) gains `reader` for every
        message it has not seen; its keys are the polled messages that `unseen` needs."""
        self.fed += 2
        self.fed_polls += 1
        part = self.partitions.get(key)
        if part is None:
            part = self.partition(key)
        if part.readers is not readers:
            part.readers = readers
        try:
            count = len(records)
            if not count:
                return
            self.records_read += count
            first, last = records[0][0], records[-1][0]
            if (
                type(first) is not int
                or first < 0
                or (start is not None and (type(start) is not int or start < 0))
            ):
                raise LogInputError(None, _poll_problem(key, start, records) or "bad poll")
            poll = ("poll", invoke_at, at, process, key, start, False, first, last, count)
            # `poll_records`' common case inlined: dense, ascending, every record known and
            # no conflict anywhere in the partition
            dense = not part.conflicted and records == part.known[first : first + count]
            if dense:
                self._order_after_previous(part, poll, process, key, start, first, last)
            elif not part.conflicted and not rebalanced and self.holes_only(part, poll, records):
                # (read flags stay as they are: only a hint); one C-level look first
                if not readers.keys() >= set(map(_second, records)):
                    for _, message in records:
                        if message not in readers:
                            readers[message] = reader
                return
            if dense or self.poll_records(part, poll, records, rebalanced):
                read = part.read
                unread = read.find(0, first, last + 1)
                if unread < 0:
                    return  # every record was read before: their first readers are known
                for _, message in records[unread - first :]:
                    if message not in readers:
                        readers[message] = reader
                read[first : last + 1] = b"\x01" * count
            else:
                for _, message in records:
                    if message not in readers:
                        readers[message] = reader
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            if isinstance(exc, LogInputError):
                raise
            problem = _poll_problem(key, start, records)
            if problem is None:
                raise  # the records are fine: a bug in the checker, not bad input
            raise LogInputError(None, problem) from None

    def holes_only(self, part: _Partition, poll: tuple[Any, ...], records: list[Any]) -> bool:
        """A poll (not rebalanced, partition without conflicts) whose records are exactly
        the known ones between its first and last offset, around offsets where nothing
        was observed and no send was acknowledged (holes: aborted or compacted records):
        what `poll_records` would do for it, done from `part.known` (the order after the
        previous poll, an int-poll-skip candidate per gap). False (nothing done) for any
        other poll."""
        first, last, count = poll[_POLL_FIRST], poll[_POLL_LAST], poll[_POLL_COUNT]
        if type(last) is not int or not 0 < last - first + 1 - count <= GAP_SCAN_LIMIT:
            return False
        span = part.known[first : last + 1]
        if len(span) != last - first + 1 or records != list(filter(None, span)):
            return False
        gaps = []  # (offset before, offset after) of each run of holes
        acked = part.acked
        at = span.index(None)  # (span's ends are records: every run of holes is inside)
        while True:
            end = at
            while span[end] is None:
                if first + end in acked:
                    return False  # an acknowledged write in the gap: `check_gap` judges it
                end += 1
            gaps.append((first + at - 1, first + end))
            try:
                at = span.index(None, end)
            except ValueError:
                break
        self._order_after_previous(
            part, poll, poll[_PROCESS], poll[_KEY], poll[_POLL_START], first, last
        )
        candidates = part.int_skip_candidates
        for below, above in gaps:
            candidates.append((INT_POLL_SKIP, poll, poll, below, above))
        return True

    def finish_feed(self) -> LogVerdict:
        """The verdict after the micro-op feed (stats as the dict pass would give them)."""
        stats = self.stats
        stats["ops"] = self.fed
        stats["polls"]["ok"] += self.fed_polls
        stats["pending_at_end"] = 0
        stats["records_read"] = self.records_read
        return self.finish()

    def extend_fallback(
        self, group: list[Any], poll: tuple[Any, ...], records: Any, last: Any
    ) -> None:
        """A poll continuing the latest read-from-0 extends the fallback final read."""
        if len(group) == 4:
            group[3].append((poll, records))
            if last is not None:
                group[2] = last
            else:
                group.append(True)  # polled past the end: the read saw the whole log

    def unacknowledged(
        self, op: dict[str, Any], invoke: dict[str, Any], kind: str, invoke_index: Any, index: Any
    ) -> None:
        """Remember a failed send (for G1a) or an info send that reported an offset."""
        key = op.get("key", invoke.get("key"))
        message = op.get("value", invoke.get("value"))
        offset = op.get("offset") if kind == "info" else None
        send = ("send", invoke_index, index, op["process"], key, offset, message)
        if kind == "fail":
            self.failed_messages.setdefault(key, {}).setdefault(message, send)
        elif offset is not None:
            if bad_offset(offset) or bad_scalar(message) or bad_scalar(key):
                raise LogInputError(None, log_op_problem(op, invoke) or "bad info send")
            self.info_offsets.append(send)

    def internal_sends(
        self, part: _Partition, previous: tuple[Any, ...], send: tuple[Any, ...]
    ) -> None:
        """Successive sends of one op (a transaction) to one partition, in its order."""
        below, above = previous[_SEND_OFFSET], send[_SEND_OFFSET]
        if above <= below:
            self.int_nonmonotonic_sends.append((previous, send))
        elif above > below + 1:
            part.int_skip_candidates.append((INT_SEND_SKIP, send, previous, below, above))

    def check_poll_slow(
        self, part: _Partition, poll: tuple[Any, ...], records: list[Any], rebalanced: bool = False
    ) -> int:
        """Full bookkeeping for a poll that shows something new; returns its max offset.

        Records that match what is already known at their offset cost one lookup, as on
        the fast path; only new or contradicting records (and gaps) do real work. A final
        read of a whole log with one never-seen record stays cheap that way.
        """
        observed_get = part.observed.get
        shown_messages = None
        previous = None
        lowest: int = records[0][0]
        highest: int = lowest
        # Jepsen skips the internal checks of a key the consumer was rebalanced off/onto
        internal = not rebalanced
        # a leading run of records equal to the known ones at their offsets (a poll that
        # reads past the acknowledged end of the log) needs no look: no gap, nothing new
        known = part.known
        skip = len(known) - lowest if type(lowest) is int and lowest >= 0 else 0
        if 0 < skip <= len(records) and records[:skip] == known[lowest:]:
            previous = highest = lowest + skip - 1
            records_left = records[skip:]
        else:
            records_left = records
        for offset, message in records_left:
            if previous is not None and offset != previous + 1:
                if offset <= previous:
                    if internal:
                        self.int_nonmonotonic_polls.append(
                            {
                                "key": part.key,
                                "process": poll[_PROCESS],
                                "poll": poll,
                                "previous_offset": previous,
                                "offset": offset,
                            }
                        )
                else:
                    if internal:
                        part.int_skip_candidates.append(
                            (INT_POLL_SKIP, poll, poll, previous, offset)
                        )
                    shown_messages = self.check_gap(
                        part, poll, records, previous, offset, shown_messages
                    )
            if observed_get(offset) != message:
                if bad_offset(offset) or bad_scalar(message):
                    problem = log_op_problem(
                        {
                            "f": "poll",
                            "type": "ok",
                            "process": 0,
                            "key": part.key,
                            "value": records,
                        },
                        {"offset": poll[_POLL_START]},
                    )
                    raise LogInputError(None, problem or "bad poll record")
                part.observe(offset, message, poll)
                shown_messages = part.check_covered(offset, message, poll, records, shown_messages)
            previous = offset
            if offset > highest:
                highest = offset
            elif offset < lowest:
                lowest = offset
        if part.conflicted:
            # a record matching the first message seen at a conflicted offset may still
            # contradict an acknowledgement there
            at = bisect.bisect_left(part.conflicted, lowest)
            shown_at: dict[int, Any] | None = None
            while at < len(part.conflicted) and part.conflicted[at] <= highest:
                offset = part.conflicted[at]
                if shown_at is None:
                    shown_at = {o: m for o, m in records}
                shown_messages = part.check_covered(
                    offset, shown_at.get(offset), poll, records, shown_messages
                )
                at += 1
        return highest

    def check_gap(
        self,
        part: _Partition,
        poll: tuple[Any, ...],
        records: list[Any],
        below: int,
        above: int,
        shown_messages: Any,
    ) -> Any:
        """Acknowledged sends strictly between two offsets one poll returned."""
        if above - below - 1 <= GAP_SCAN_LIMIT:
            gap_offsets: Iterable[int] = range(below + 1, above)
        else:
            gap_offsets = sorted(o for o in part.acked if below < o < above)
        for offset in gap_offsets:
            if offset in part.acked:
                shown_messages = part.check_covered(offset, None, poll, records, shown_messages)
        return shown_messages

    # -- after the pass ----------------------------------------------------------------------
    def finish(self) -> LogVerdict:
        found = self.found
        final_mode = "polls" if self.unseen_polls else "flagged" if self.any_final else "fallback"
        unseen_unchecked = []
        failed_observed = 0
        views: dict[str, PartitionView] = {}
        self.place_info_sends()
        for key in sorted(self.partitions, key=str):
            part = self.partitions[key]
            highlights: dict[int, list[str]] = {}
            self.report_lost(part, highlights)
            if not self.report_unseen(part, final_mode, highlights):
                unseen_unchecked.append(key)
            self.report_inconsistent(part, highlights)
            self.report_duplicates(part, highlights)
            self.report_skips(part, highlights)
            self.report_internal_skips(part, highlights)
            failed_observed += self.report_aborted_reads(part, highlights)
            views[key] = PartitionView(
                key=key,
                offset_ranges=_runs(sorted(part.observed)),
                acked_offsets=len(part.acked),
                highlights=highlights,
                observed=part.observed,
            )
        if final_mode == "fallback" and len(unseen_unchecked) == len(self.partitions):
            final_mode = "none"  # no partition had a read from 0 polled to its end
        self.report_nonmonotonic_sends(views)
        self.report_nonmonotonic_polls(views)
        self.report_internal_nonmonotonic(views)
        anomalies = {
            kind: found.anomalies[kind] for kind in ANOMALY_KINDS if kind in found.anomalies
        }
        stats = dict(self.stats)
        stats.update(
            {
                "partitions": len(self.partitions),
                "acked_sends": sum(
                    len(p.acked) + sum(len(v) for v in p.acked_extra.values())
                    for p in self.partitions.values()
                ),
                "observed_offsets": sum(len(p.observed) for p in self.partitions.values()),
                "final_reads": final_mode,
                "final_polls": sum(len(p.final_polls) for p in self.partitions.values()),
                "unseen_unchecked_partitions": unseen_unchecked,
                "failed_sends_observed": failed_observed,
                "anomaly_counts": {k: found.counts[k] for k in ANOMALY_KINDS if k in found.counts},
                "evidence_truncated": any(
                    found.counts[k] > len(found.anomalies[k]) for k in found.counts
                ),
            }
        )
        for kind in anomalies:
            for evidence in anomalies[kind]:
                assert evidence["key"] in views
        return LogVerdict(anomalies=anomalies, stats=stats, partitions=views)

    def report_lost(self, part: _Partition, highlights: dict[int, list[str]]) -> None:
        for send_index in sorted(part.lost, key=lambda i: (part.lost[i][0][_SEND_OFFSET], i)):
            send, poll, shown = part.lost[send_index]
            offset = send[_SEND_OFFSET]
            self.found.add(
                LOST_WRITE,
                {
                    "key": part.key,
                    "offset": offset,
                    "message": send[_SEND_MESSAGE],
                    "send": self.op_ref(send),
                    "read": self.op_ref(poll),
                    "read_message": shown,
                },
            )
            _mark(highlights, offset, LOST_WRITE)

    def place_info_sends(self) -> None:
        """An info send that reported an offset is placed there once a read shows its message.

        This is Jepsen's "must have committed": the read proves the write happened, and the
        offset the client was told is then as good as an acknowledgement for the version
        order (so it can contradict what reads show at that offset).
        """
        for send in self.info_offsets:
            part = self.partitions.get(send[_KEY])
            if part is not None and send[_SEND_MESSAGE] in part.messages:
                part.observe(send[_SEND_OFFSET], send[_SEND_MESSAGE], send)

    def report_aborted_reads(self, part: _Partition, highlights: dict[int, list[str]]) -> int:
        """G1a: a failed send whose message an ok poll returned. Returns how many."""
        failed = self.failed_messages.get(part.key)
        if not failed:
            return 0
        count = 0
        for message, send in failed.items():
            offset = part.messages.get(message)
            if offset is None:
                continue
            reader = part.observed_by.get(offset)
            if reader is None or part.observed.get(offset) != message:
                reader = part.conflicts.get(offset, {}).get(message, [None])[0]
            if reader is None or reader[_KIND] != "poll":
                continue  # only an acknowledgement shows it: not a read
            count += 1
            self.found.add(
                G1A,
                {
                    "key": part.key,
                    "offset": offset,
                    "message": message,
                    "writer": self.op_ref(send),
                    "reader": self.op_ref(reader),
                },
            )
            _mark(highlights, offset, G1A)
        return count

    def report_internal_skips(self, part: _Partition, highlights: dict[int, list[str]]) -> None:
        """int-poll-skip / int-send-skip: one op's successive records (or sends) of a
        partition jump over offsets at which some operation observed a record."""
        if not part.int_skip_candidates:
            return
        known = sorted(part.observed)
        for kind, op, previous, below, above in part.int_skip_candidates:
            at = bisect.bisect_right(known, below)
            skipped = []
            while at < len(known) and known[at] < above:
                skipped.append(known[at])
                at += 1
            if not skipped:
                continue  # a hole nobody ever saw a record in: Kafka offsets may have holes
            evidence = {
                "key": part.key,
                "process": op[_PROCESS],
                "op": self.op_ref(op),
                "offsets": [below, above],
                "skipped": [
                    {"offset": o, "message": part.observed[o]} for o in skipped[:MAX_OPS_PER_FACT]
                ],
                "skipped_count": len(skipped),
            }
            if kind == INT_SEND_SKIP:
                evidence["previous"] = self.op_ref(previous)
            self.found.add(kind, evidence)
            for offset in skipped:
                _mark(highlights, offset, kind)

    def report_internal_nonmonotonic(self, views: dict[str, PartitionView]) -> None:
        for previous, send in sorted(
            self.int_nonmonotonic_sends, key=lambda pair: (str(pair[1][_KEY]), pair[1][2])
        ):
            _mark(views[send[_KEY]].highlights, send[_SEND_OFFSET], INT_NONMONOTONIC_SEND)
            self.found.add(
                INT_NONMONOTONIC_SEND,
                {
                    "key": send[_KEY],
                    "process": send[_PROCESS],
                    "op": self.op_ref(send),
                    "previous_offset": previous[_SEND_OFFSET],
                    "offset": send[_SEND_OFFSET],
                    "previous_message": previous[_SEND_MESSAGE],
                    "message": send[_SEND_MESSAGE],
                },
            )
        for entry in sorted(
            self.int_nonmonotonic_polls,
            key=lambda e: (str(e["key"]), e["poll"][_INDEX], e["offset"]),
        ):
            _mark(views[entry["key"]].highlights, entry["offset"], INT_NONMONOTONIC_POLL)
            self.found.add(
                INT_NONMONOTONIC_POLL,
                {
                    "key": entry["key"],
                    "process": entry["process"],
                    "poll": self.op_ref(entry["poll"]),
                    "previous_offset": entry["previous_offset"],
                    "offset": entry["offset"],
                },
            )

    def report_unseen(
        self, part: _Partition, final_mode: str, highlights: dict[int, list[str]]
    ) -> bool:
        """Acked sends that no final read shows; False if the partition has no final read."""
        if final_mode == "polls":
            # Jepsen's unseen: no ok poll anywhere returned it (Jepsen's final polls read
            # every partition until they have caught up with every acknowledged offset)
            horizon = float("inf")
            final_polls = []
            seen: Container[Hashable] | None = part.polled if part.readers is None else part.readers
        elif final_mode == "flagged":
            final_polls = part.final_polls
            if not final_polls:
                return False
            horizon = max(poll[_INVOKE] for poll, _ in final_polls)
        else:
            group = part.fallback
            if group is None:
                return False
            if len(group) < 5:
                return False  # it may have stopped at max.poll.records: cannot tell
            horizon = group[0][_INVOKE]
            final_polls = group[3]
        if final_mode != "polls":
            seen = {record[1] for _, records in final_polls for record in records}
        sends = list(part.acked.values())
        for extra in part.acked_extra.values():
            sends.extend(extra)
        sends.sort(key=lambda s: (s[_SEND_OFFSET], s[_INDEX]))
        assert seen is not None, "unseen_polls gives every partition a polled set"
        for send in sends:
            if (
                send[_INDEX] < horizon
                and send[_SEND_MESSAGE] not in seen
                and send[_INDEX] not in part.lost
            ):
                self.found.add(
                    UNSEEN,
                    {
                        "key": part.key,
                        "offset": send[_SEND_OFFSET],
                        "message": send[_SEND_MESSAGE],
                        "send": self.op_ref(send),
                        "final_reads": [self.op_ref(poll) for poll, _ in final_polls[:3]],
                    },
                )
                _mark(highlights, send[_SEND_OFFSET], UNSEEN)
        return True

    def report_inconsistent(self, part: _Partition, highlights: dict[int, list[str]]) -> None:
        for offset in part.conflicted:
            facts = part.conflicts[offset]
            self.found.add(
                INCONSISTENT_OFFSETS,
                {
                    "key": part.key,
                    "offset": offset,
                    "messages": [
                        {"message": message, "ops": [self.op_ref(op) for op in ops]}
                        for message, ops in facts.items()
                    ],
                },
            )
            _mark(highlights, offset, INCONSISTENT_OFFSETS)

    def report_duplicates(self, part: _Partition, highlights: dict[int, list[str]]) -> None:
        order = sorted(part.dups, key=lambda m: (part.messages[m], str(m)))
        for message in order:
            facts = part.dups[message]
            offsets = sorted(facts)
            self.found.add(
                DUPLICATE,
                {
                    "key": part.key,
                    "message": message,
                    "offsets": [
                        {"offset": offset, "ops": [self.op_ref(op) for op in facts[offset]]}
                        for offset in offsets
                    ],
                },
            )
            for offset in offsets:
                _mark(highlights, offset, DUPLICATE)

    def report_skips(self, part: _Partition, highlights: dict[int, list[str]]) -> None:
        if not part.skip_candidates:
            return
        known = sorted(part.observed)
        for previous, poll, start, first in part.skip_candidates:
            at = bisect.bisect_left(known, start)
            skipped = []
            while at < len(known) and known[at] < first:
                offset = known[at]
                skipped.append(offset)
                at += 1
            if not skipped:
                continue
            self.found.add(
                POLL_SKIP,
                {
                    "key": part.key,
                    "process": poll[_PROCESS],
                    "previous": self.op_ref(previous),
                    "poll": self.op_ref(poll),
                    "expected_offset": start,
                    "offset": first,
                    "skipped": [
                        {
                            "offset": offset,
                            "message": part.observed[offset],
                            "shown_by": self.op_ref(part.observed_by[offset]),
                        }
                        for offset in skipped[:MAX_OPS_PER_FACT]
                    ],
                    "skipped_count": len(skipped),
                },
            )
            for offset in skipped:
                _mark(highlights, offset, POLL_SKIP)

    def report_nonmonotonic_sends(self, views: dict[str, PartitionView]) -> None:
        pairs = sorted(self.nonmonotonic_sends, key=lambda pair: (str(pair[1][_KEY]), pair[1][2]))
        for previous, send in pairs:
            _mark(views[send[_KEY]].highlights, send[_SEND_OFFSET], NONMONOTONIC_SEND)
            if not self.found.keeps(NONMONOTONIC_SEND):
                self.found.count(NONMONOTONIC_SEND)
                continue
            cycle = order_cycle(
                [
                    (self.name(previous[_INDEX]), self.name(send[_INDEX]), PROCESS_ORDER),
                    (self.name(send[_INDEX]), self.name(previous[_INDEX]), LOG_ORDER),
                ]
            )
            assert cycle, "a process-order/log-order pair always closes a cycle"
            self.found.add(
                NONMONOTONIC_SEND,
                {
                    "key": send[_KEY],
                    "process": send[_PROCESS],
                    "previous": self.op_ref(previous),
                    "send": self.op_ref(send),
                    "cycle": cycle,
                },
            )

    def report_nonmonotonic_polls(self, views: dict[str, PartitionView]) -> None:
        entries = sorted(
            self.nonmonotonic_polls, key=lambda e: (str(e["key"]), e["poll"][_INDEX], e["offset"])
        )
        for entry in entries:
            _mark(views[entry["key"]].highlights, entry["offset"], NONMONOTONIC_POLL)
            if not self.found.keeps(NONMONOTONIC_POLL):
                self.found.count(NONMONOTONIC_POLL)
                continue
            poll = entry["poll"]
            evidence = {
                "key": entry["key"],
                "process": entry["process"],
                "within_poll": entry["within_poll"],
                "poll": self.op_ref(poll),
                "previous_offset": entry["previous_offset"],
                "offset": entry["offset"],
            }
            if not entry["within_poll"]:
                previous = entry["previous"]
                evidence["previous"] = self.op_ref(previous)
                evidence["cycle"] = order_cycle(
                    [
                        (self.name(previous[_INDEX]), self.name(poll[_INDEX]), PROCESS_ORDER),
                        (self.name(poll[_INDEX]), self.name(previous[_INDEX]), LOG_ORDER),
                    ]
                )
            self.found.add(NONMONOTONIC_POLL, evidence)


def _poll_problem(key: str, start: int | None, records: list[Any]) -> str | None:
    """Why a fed poll is unusable, in the words of `log_op_problem` (None: it is fine)."""
    op = {"f": "poll", "type": "ok", "process": 0, "key": key, "value": records}
    return log_op_problem(op, {"offset": 0 if start is None else start})


def _mark(highlights: dict[int, list[str]], offset: int, kind: str) -> None:
    kinds = highlights.setdefault(offset, [])
    if kind not in kinds:
        kinds.append(kind)


def _runs(offsets: list[int]) -> list[tuple[int, int]]:
    """Sorted distinct offsets → inclusive runs of consecutive offsets (one C-level pass
    marks where each run ends: 1 between consecutive offsets, 2 elsewhere)."""
    if not offsets:
        return []
    steps = bytes(map(min, map(sub, offsets[1:], offsets[:-1]), repeat(2)))
    runs: list[tuple[int, int]] = []
    start = 0
    end = steps.find(2)
    while end >= 0:
        runs.append((offsets[start], offsets[end]))
        start = end + 1
        end = steps.find(2, start)
    runs.append((offsets[start], offsets[-1]))
    return runs


def check_micro_ops(
    feed: Callable[[_Checker], None], max_evidence: int = MAX_EVIDENCE
) -> LogVerdict:
    """The verdict of a history fed micro-op by micro-op: `feed(checker)` calls
    `checker.feed_send` / `feed_poll` in completion order (replicheck.checker.jepsen_kafka),
    with `unseen` counting every poll and ops placed by their positions, as `check_log`
    does with `unseen_polls` and `positioned`."""
    checker = _Checker(max_evidence, unseen_polls=True, positioned=True)
    collecting = gc.isenabled()
    gc.disable()  # as in check_log
    try:
        feed(checker)
        return checker.finish_feed()
    finally:
        if collecting:
            gc.enable()


def check_log(
    ops: Iterable[dict[str, Any]],
    max_evidence: int = MAX_EVIDENCE,
    *,
    unseen_polls: bool = False,
    positioned: bool = False,
) -> LogVerdict:
    """Check a send/poll history for Jepsen's Kafka anomalies, in one pass.

    `ops` are history operations (docs/internals.md §1) in history order, already
    validated (see replicheck.checker.history). Evidence lists are capped at
    `max_evidence` per kind; `stats["anomaly_counts"]` always has the exact counts.
    `unseen_polls`: `unseen` counts every ok poll, not only final reads (Jepsen's rule,
    used for Jepsen-shape histories, which have no final-read marker). `positioned`: every
    op carries `at`, its place in real time (ops translated from another shape, emitted
    out of line order; several may share one place when they come from one op).
    """
    checker = _Checker(max_evidence, unseen_polls, positioned)
    # The pass allocates millions of small tuples and no reference cycles; pausing the
    # cyclic collector spares it repeated scans of an ever-growing heap (about a third of
    # the time on a 1M-op history, see benchmarks/bench_log_checker.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        checker.run(ops)
        return checker.finish()
    finally:
        if collecting:
            gc.enable()
