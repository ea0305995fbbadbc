"""The leader's idempotent-producer state (KIP-98): per producer id, its epoch and the
sequence numbers and offsets of its last few batches.

Every idempotent batch carries (producer id, producer epoch, sequence). The leader appends
a batch only when its sequence is the next one for that producer; a sequence it has seen
within the window is a retry of a batch already in the log, answered with the original
offset instead of a second copy; any other sequence is out of order and rejected. The state
is not replicated on its own: like Kafka's ProducerStateManager it is a function of the log
(each record keeps its batch's producer fields), so a new leader rebuilds it from its log
and deduplicates retries of batches its predecessor appended.
"""

from __future__ import annotations

from collections.abc import Iterable

from replicheck.impl.messages import Entry

# Batches remembered per producer (Kafka: ProducerStateEntry.NumBatchesToRetain = 5, which
# is why idempotence requires max.in.flight.requests.per.connection <= 5).
DEDUP_WINDOW = 5

APPEND = "append"
DUPLICATE = "duplicate"
OUT_OF_ORDER = "out-of-order"
FENCED = "fenced"  # an older producer epoch
UNKNOWN_PRODUCER = "unknown-producer"  # no state and not the producer's first sequence


class ProducerEntry:
    __slots__ = ("batches", "epoch")

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.batches: list[tuple[int, int]] = []  # (sequence, offset), oldest first

    @property
    def last_seq(self) -> int:
        return self.batches[-1][0] if self.batches else -1


class ProducerState:
    """pid -> ProducerEntry for one partition replica."""

    __slots__ = ("lenient", "producers")

    def __init__(self, lenient: bool = False) -> None:
        self.producers: dict[int, ProducerEntry] = {}
        # A leader that lost its producer state (the dedup-state-lost-on-failover flaw)
        # takes a producer it has no state for as new, whatever its first sequence.
        self.lenient = lenient

    @classmethod
    def from_log(cls, entries: Iterable[Entry]) -> ProducerState:
        """Rebuild from the records' producer fields, as a new leader (or a restarted
        broker loading its snapshot and replaying the log) does."""
        state = cls()
        for offset, entry in enumerate(entries):
            if len(entry) > 2:
                pid, epoch, seq = entry[2]
                state.record(pid, epoch, seq, offset)
        return state

    def check(self, pid: int, epoch: int, seq: int) -> tuple[str, int]:
        """(verdict, offset of the original batch for DUPLICATE else -1)."""
        entry = self.producers.get(pid)
        if entry is None:
            return (APPEND, -1) if seq == 0 or self.lenient else (UNKNOWN_PRODUCER, -1)
        if epoch < entry.epoch:
            return FENCED, -1
        if epoch > entry.epoch:
            return (APPEND, -1) if seq == 0 else (OUT_OF_ORDER, -1)
        for s, offset in entry.batches:
            if s == seq:
                return DUPLICATE, offset
        if seq == entry.last_seq + 1:
            return APPEND, -1
        return OUT_OF_ORDER, -1

    def record(self, pid: int, epoch: int, seq: int, offset: int) -> None:
        entry = self.producers.get(pid)
        if entry is None or epoch > entry.epoch:
            entry = self.producers[pid] = ProducerEntry(epoch)
        entry.batches.append((seq, offset))
        if len(entry.batches) > DEDUP_WINDOW:
            del entry.batches[0]
