"""Facts the report derives from a run: offending ops, acknowledged writes, final logs.

The checker's verdict is the authority on anomalies; these helpers only locate them in
the picture (which bars to highlight, which log rows to mark). They read the history and
the replica logs, never the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replicheck.checker.log_anomalies import LogVerdict


def _walk(value: object) -> Iterable[tuple[str, object]]:
    """Every (key, value) pair in nested dicts/lists/tuples, depth first."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key), item
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


def evidence_items(verdict: LogVerdict) -> list[tuple[str, dict[str, Any]]]:
    """(anomaly name, one evidence record) for every anomaly, in the checker's order;
    none for a valid verdict."""
    if verdict.valid:
        return []
    return [(name, record) for name, records in verdict.anomalies.items() for record in records]


def offending_indices(verdict: LogVerdict) -> frozenset[int]:
    """History indices the verdict's evidence points at (keys `index`, `*_index`, `*indices`)."""
    found: set[int] = set()
    for _, record in evidence_items(verdict):
        for key, value in _walk(record):
            if key == "index" or key.endswith("_index"):
                if isinstance(value, int) and not isinstance(value, bool):
                    found.add(value)
            elif key.endswith("indices") and isinstance(value, list | tuple):
                found.update(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    return frozenset(found)


@dataclass(frozen=True)
class AckedWrite:
    key: str
    offset: int
    value: object  # the message, as the history recorded it
    process: int
    index: int  # history index of the ok


def acked_writes(history: Sequence[Mapping[str, Any]]) -> list[AckedWrite]:
    """Every acknowledged send, in history order."""
    invokes: dict[object, Mapping[str, Any]] = {}
    acked = []
    for op in history:
        if op.get("type") == "invoke":
            invokes[op.get("process")] = op
            continue
        invoke = invokes.pop(op.get("process"), None)
        if op.get("type") == "ok" and op.get("f") == "send" and op.get("offset") is not None:
            value = op.get("value", invoke.get("value") if invoke else None)
            acked.append(
                AckedWrite(str(op.get("key")), int(op["offset"]), value, op["process"], op["index"])
            )
    return acked


def final_reads(history: Sequence[Mapping[str, Any]]) -> dict[str, dict[int, object]]:
    """key → {offset: message} as the final read (after healing) saw it."""
    reads: dict[str, dict[int, object]] = {}
    for op in history:
        if op.get("final") and op.get("type") == "ok" and op.get("f") == "poll":
            seen = reads.setdefault(str(op.get("key")), {})
            for offset, message in op.get("value") or []:
                seen.setdefault(int(offset), message)
    return reads


@dataclass(frozen=True)
class LogCell:
    epoch: int | None
    message: str | None  # None: this replica's log ends before the offset
    divergent: bool  # differs from another replica at the same offset


@dataclass(frozen=True)
class LogRow:
    offset: int
    cells: list[LogCell]
    acked: list[AckedWrite]  # writes acknowledged at this offset
    lost: list[AckedWrite]  # ... of which the final state no longer holds here
    divergent: bool
    note: str


@dataclass(frozen=True)
class LogTable:
    key: str
    brokers: list[int]
    rows: list[LogRow]

    @property
    def marked_rows(self) -> list[LogRow]:
        return [row for row in self.rows if row.lost or row.divergent]

    def excerpt(self, limit: int, context: int = 2) -> list[LogRow | None]:
        """All rows when there are at most `limit`; else the marked rows with `context` rows
        around them, plus the first and last rows, `None` standing for each skipped run."""
        assert limit >= 1 and context >= 0
        if len(self.rows) <= limit:
            return list(self.rows)
        keep = {0, len(self.rows) - 1}
        for row in self.marked_rows:
            keep.update(range(max(0, row.offset - context), row.offset + context + 1))
        out: list[LogRow | None] = []
        for offset, row in enumerate(self.rows):
            if offset in keep:
                out.append(row)
            elif out and out[-1] is not None:
                out.append(None)
        return out


def log_table(
    key: str,
    logs: Mapping[int, Sequence[tuple[int, str]]],
    acked: Sequence[AckedWrite],
    final: Mapping[int, object] | None,
) -> LogTable:
    """Each replica's final log side by side, with lost and divergent offsets marked.

    A write acknowledged at offset o is *lost* when the final read no longer returns it at o
    (or, with no final read of the partition, when no replica holds it at o).
    """
    brokers = sorted(logs)
    acked_here = [write for write in acked if write.key == key]
    length = max([len(log) for log in logs.values()] + [w.offset + 1 for w in acked_here] + [0])
    where_now: dict[object, list[tuple[int, int]]] = {}
    for broker, log in logs.items():
        for offset, record in enumerate(log):
            where_now.setdefault(record[1], []).append((broker, offset))
    acked_at: dict[int, list[AckedWrite]] = {}
    for write in acked_here:
        acked_at.setdefault(write.offset, []).append(write)
    rows = []
    for offset in range(length):
        entries = [logs[b][offset] if offset < len(logs[b]) else None for b in brokers]
        messages = {entry[1] for entry in entries if entry is not None}
        divergent = len(messages) > 1
        at_offset = acked_at.get(offset, [])
        if final is not None:
            lost = [w for w in at_offset if final.get(offset) != w.value]
        else:
            lost = [w for w in at_offset if w.value not in messages]
        notes = [_lost_note(write, offset, where_now.get(write.value, [])) for write in lost]
        if divergent:
            notes.append("replicas disagree at this offset")
        cells = _cells(entries, divergent)
        rows.append(LogRow(offset, cells, at_offset, lost, divergent, "; ".join(notes)))
    return LogTable(key, brokers, rows)


def _cells(entries: Sequence[tuple[int, str] | None], divergent: bool) -> list[LogCell]:
    """One offset across the replicas; where they differ, the minority (or, with no
    majority, every replica) is marked divergent."""
    counts: dict[str, int] = {}
    for entry in entries:
        if entry is not None:
            counts[entry[1]] = counts.get(entry[1], 0) + 1
    majority = max(counts.values(), default=0)
    cells = []
    for entry in entries:
        if entry is None:
            cells.append(LogCell(None, None, False))
        else:
            odd = divergent and (counts[entry[1]] < majority or majority == 1)
            cells.append(LogCell(int(entry[0]), entry[1], odd))
    return cells


def _lost_note(write: AckedWrite, offset: int, now: Sequence[tuple[int, int]]) -> str:
    """Where a lost acknowledged write is held now (broker, offset pairs), in words."""
    place = (
        "now held at " + ", ".join(f"offset {o} on broker {b}" for b, o in sorted(now))
        if now
        else "held by no replica"
    )
    return (
        f"{write.value} acknowledged at offset {offset} (client {write.process},"
        f" op #{write.index}) is lost: {place}"
    )


def log_tables(
    replica_logs: Mapping[str, Mapping[int, Sequence[tuple[int, str]]]],
    history: Sequence[Mapping[str, Any]],
) -> list[LogTable]:
    acked = acked_writes(history)
    finals = final_reads(history)
    return [
        log_table(key, replica_logs[key], acked, finals.get(key)) for key in sorted(replica_logs)
    ]
