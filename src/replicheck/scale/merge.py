"""Combine shard records (and `hunt --json` summaries) into one verdict with one exit code.

Shards of one campaign are grouped by the campaign they name (flaw, configuration, seed,
budget, steps, plan size, engine); a group must hold every shard 1..N, each once. Its answer
is the decisive chunk with the lowest index over all shards -- the rule every engine uses
(scale/engine.py) -- so, without an example database, merging the shards of a campaign
reports what the unsharded campaign reports. Separate `hunt --json` summaries are taken as
they are. Exit code: 1 if anything found a violation, else 4 if a simulation failed, else 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from replicheck.scale.record import RecordError, ShardRecord, Winner, load_record

HUNT_SUMMARY_FORMAT = "replicheck-hunt"
MERGE_FORMAT = "replicheck-merge"
MERGE_VERSION = 1


@dataclass(frozen=True)
class CampaignVerdict:
    """One campaign's merged answer."""

    name: str  # "acks-one seed 5 (4 shards)" or the summary file
    result: str  # "clean", "violation" or "error"
    examples: int
    exit_code: int
    shards: int
    anomalies: tuple[str, ...] = ()
    decided_by: str | None = None  # "chunk 5 (seed 10), shard 2/4"
    reproduce: str | None = None
    report: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "result": self.result,
            "anomalies": list(self.anomalies),
            "examples": self.examples,
            "shards": self.shards,
            "decided_by": self.decided_by,
            "reproduce": self.reproduce,
            "report": self.report,
            "exit_code": self.exit_code,
        }


def overall_exit_code(verdicts: list[CampaignVerdict]) -> int:
    codes = {v.exit_code for v in verdicts}
    return 1 if 1 in codes else 4 if 4 in codes else 0


def collect(paths: list[Path]) -> tuple[list[ShardRecord], list[tuple[Path, dict[str, object]]]]:
    """Shard records (found in folders, recursively, or named) and hunt summaries."""
    records: list[ShardRecord] = []
    summaries: list[tuple[Path, dict[str, object]]] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("shard-*-of-*.json"))
            if not found:
                raise RecordError(f"{path}: expected shard-K-of-N.json records in this folder")
            records.extend(load_record(p) for p in found)
        elif not path.exists():
            raise RecordError(f"{path}: no such file or folder")
        elif _format(path) == HUNT_SUMMARY_FORMAT:
            summaries.append((path, _read_json(path)))
        else:
            records.append(load_record(path))
    return records, summaries


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RecordError(f"{path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", 1)
        raise RecordError(
            f"{path}:{line}: expected a shard record or hunt summary (JSON): {error}"
        ) from None
    if not isinstance(data, dict):
        raise RecordError(f"{path}: expected a JSON object")
    return data


def _format(path: Path) -> object:
    return _read_json(path).get("format")


def merge_records(records: list[ShardRecord]) -> list[CampaignVerdict]:
    groups: dict[str, list[ShardRecord]] = {}
    for record in records:
        key = json.dumps(record.campaign, sort_keys=True)
        groups.setdefault(key, []).append(record)
    return [_merge_group(group) for group in groups.values()]


def _merge_group(group: list[ShardRecord]) -> CampaignVerdict:
    campaign = group[0].campaign
    name = f"{campaign.get('flaw') or 'correct configuration'} seed {campaign.get('seed')}"
    counts = {r.shard.count for r in group}
    if len(counts) != 1:
        raise RecordError(f"{name}: shards of {sorted(counts)} parts mixed ({_paths(group)})")
    count = counts.pop()
    by_number: dict[int, ShardRecord] = {}
    for record in group:
        if record.shard.number in by_number:
            other = by_number[record.shard.number].path
            raise RecordError(f"{record.path}: shard {record.shard} also in {other}")
        by_number[record.shard.number] = record
    missing = [n for n in range(1, count + 1) if n not in by_number]
    if missing:
        names = ", ".join(f"{n}/{count}" for n in missing)
        raise RecordError(f"{name}: incomplete, shard(s) {names} missing ({_paths(group)})")
    winners = [(r.winner, r) for r in group if r.winner is not None]
    examples = sum(r.examples for r in group)
    name = f"{name} ({count} shard{'s' if count > 1 else ''}, {campaign.get('chunks')} chunks)"
    if not winners:
        return CampaignVerdict(name, "clean", examples, 0, count)
    winner, record = min(winners, key=lambda pair: pair[0].index)
    _check_before(group, winner)
    found = winner.status == "found"
    return CampaignVerdict(
        name=name,
        result="violation" if found else "error",
        examples=examples,
        exit_code=1 if found else 4,
        shards=count,
        anomalies=winner.anomalies,
        decided_by=f"chunk {winner.index} (seed {winner.seed}), shard {record.shard}",
        reproduce=winner.reproduce,
        report=winner.report,
    )


def _check_before(group: list[ShardRecord], winner: Winner) -> None:
    """Every chunk before the deciding one ran to its end (else a shard was cut short)."""
    for record in group:
        for row in record.chunks:
            if row.index < winner.index and row.status != "clean":
                raise RecordError(
                    f"{record.path}: chunk {row.index} is {row.status!r} but comes before the "
                    f"deciding chunk {winner.index}: expected it to have run to its end"
                )


def _paths(group: list[ShardRecord]) -> str:
    return ", ".join(str(r.path) for r in group)


def summary_verdict(path: Path, data: dict[str, object]) -> CampaignVerdict:
    """A `hunt --json` summary as a campaign of its own."""
    result, code, examples = data.get("result"), data.get("exit_code"), data.get("examples")
    if result not in ("clean", "violation", "error") or code not in (0, 1, 4):
        raise RecordError(f"{path}: expected a hunt --json summary with result and exit_code")
    anomalies = data.get("anomalies")
    report, reproduce = data.get("report"), data.get("reproduce")
    return CampaignVerdict(
        name=str(path),
        result=str(result),
        examples=examples if isinstance(examples, int) else 0,
        exit_code=int(str(code)),
        shards=1,
        anomalies=tuple(str(a) for a in anomalies) if isinstance(anomalies, list) else (),
        reproduce=reproduce if isinstance(reproduce, str) else None,
        report=report if isinstance(report, str) else None,
    )


def merge_paths(paths: list[Path]) -> list[CampaignVerdict]:
    records, summaries = collect(paths)
    return merge_records(records) + [summary_verdict(p, d) for p, d in summaries]


def merged_json(verdicts: list[CampaignVerdict]) -> dict[str, object]:
    return {
        "format": MERGE_FORMAT,
        "version": MERGE_VERSION,
        "campaigns": [v.to_json() for v in verdicts],
        "exit_code": overall_exit_code(verdicts),
    }
