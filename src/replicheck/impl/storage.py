"""A replica's on-disk state: the log, its leader-epoch cache and the HW checkpoint.

This object outlives broker incarnations: a process crash keeps all of it (the page cache
survives), a power loss keeps only what was fsynced. With `flush="every-append"` every
append is fsynced before the broker acts on it; with `flush="interval"` the broker calls
`flush()` every `flush_interval_ms` (log.flush.interval.ms, or the OS writing back dirty
pages), so a power loss drops only the suffix written since; with `flush="none"` nothing is
ever fsynced (the OS writes back "later than any scenario lasts"). Losing the disk itself is
a different fault: the Cluster replaces the PartitionLog with an empty one.
"""

from __future__ import annotations

from replicheck.impl.messages import Entry, Producer


class PartitionLog:
    """Log entries are (leader_epoch, message), or (leader_epoch, message, (producer id,
    producer epoch, sequence)) for an idempotent producer's record; the offset is the list
    index."""

    __slots__ = (
        "damaged_incarnation",
        "entries",
        "epochs",
        "flushed",
        "fsync",
        "hw_checkpoint",
        "lost_suffix",
        "version",
    )

    def __init__(self, fsync: bool) -> None:
        self.entries: list[Entry] = []
        # Leader-epoch cache: (epoch, start_offset), strictly increasing in both.
        self.epochs: list[tuple[int, int]] = []
        self.flushed = 0  # entries [0, flushed) survive a power loss
        self.fsync = fsync
        self.hw_checkpoint = 0
        # A power loss that dropped records sets `lost_suffix`; the next broker incarnation
        # started on this log records itself in `damaged_incarnation` (the replica invariants
        # excuse the broker until the controller has processed that incarnation's
        # registration, which takes it out of the ISR).
        self.lost_suffix = False
        self.damaged_incarnation = -1
        # Changes whenever `entries` does: the invariant watch skips a check when no log it
        # reads has a new version (Cluster._after_watched_event).
        self.version = 0

    @property
    def leo(self) -> int:
        return len(self.entries)

    def latest_epoch(self) -> int:
        return self.epochs[-1][0] if self.epochs else -1

    def assign_epoch(self, epoch: int, start_offset: int) -> None:
        """Record that `epoch` starts at `start_offset` (no-op if not newer)."""
        epochs = self.epochs
        if epochs and epochs[-1][0] >= epoch:
            return
        assert not epochs or epochs[-1][1] <= start_offset, (epochs, epoch, start_offset)
        epochs.append((epoch, start_offset))

    def append(self, epoch: int, message: str, producer: Producer | None = None) -> int:
        """Append one record; returns its offset."""
        offset = len(self.entries)
        if not self.epochs or self.epochs[-1][0] < epoch:
            self.assign_epoch(epoch, offset)
        self.entries.append((epoch, message) if producer is None else (epoch, message, producer))
        self.version += 1
        if self.fsync:
            self.flushed = offset + 1
        return offset

    def truncate(self, offset: int, clean_at_end: bool = True) -> int:
        """Drop entries at `offset` and beyond; returns how many were dropped.

        The epoch cache loses every epoch starting at `offset` or later even when no record
        goes (`offset` >= LEO): consecutive elections without writes leave empty epochs at
        the log end, and a follower that keeps one it does not share with the leader asks
        about it forever (KAFKA-10706). `clean_at_end=False` is that bug (a zoo flaw).
        """
        assert offset >= 0
        dropped = len(self.entries) - offset
        if dropped <= 0:
            if clean_at_end and self.epochs and self.epochs[-1][1] >= offset:
                self.epochs = [(e, s) for (e, s) in self.epochs if s < offset]
            return 0
        del self.entries[offset:]
        self.version += 1
        self.epochs = [(e, s) for (e, s) in self.epochs if s < offset]
        self.flushed = min(self.flushed, offset)
        self.hw_checkpoint = min(self.hw_checkpoint, offset)
        return dropped

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """KIP-279 lookup: (largest known epoch <= `epoch`, its end offset).

        The end offset of an epoch is the start of the next larger epoch, or the LEO for
        the latest one. When every known epoch is larger, (-1, start of the first epoch).
        """
        epochs = self.epochs
        found = -1
        for i in range(len(epochs) - 1, -1, -1):
            if epochs[i][0] <= epoch:
                found = i
                break
        if found < 0:
            return (-1, epochs[0][1] if epochs else len(self.entries))
        end = epochs[found + 1][1] if found + 1 < len(epochs) else len(self.entries)
        return (epochs[found][0], end)

    def end_offset_for_epoch_pre_kip279(self, epoch: int) -> tuple[int, int]:
        """The original KIP-101 lookup: the start of the first epoch larger than `epoch`
        (or the LEO), claimed as the end of `epoch` even when this log never had it."""
        for e, start in self.epochs:
            if e > epoch:
                return (epoch, start)
        return (epoch, len(self.entries))

    def flush(self) -> None:
        """fsync: the log, epoch cache and HW checkpoint written so far survive a power loss."""
        self.flushed = len(self.entries)

    def power_loss(self) -> int:
        """Lose everything not fsynced; returns how many records were lost."""
        lost = len(self.entries) - self.flushed
        if lost > 0:
            del self.entries[self.flushed :]
            self.version += 1
            self.lost_suffix = True
        if not self.fsync:
            # The epoch cache and HW checkpoint files were written but not synced either:
            # only what describes the surviving records is kept.
            keep = len(self.entries)
            self.epochs = [(e, s) for (e, s) in self.epochs if s < keep]
        self.hw_checkpoint = min(self.hw_checkpoint, len(self.entries))
        return max(lost, 0)
