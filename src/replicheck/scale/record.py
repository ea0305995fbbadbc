"""The shard record: what one `hunt --shard K/N` run did, for `replicheck merge`.

Written into the report folder's parent (`--report-dir`) as `shard-K-of-N.json` whether or
not the shard found anything, because a CI job that found nothing has no report folder and
merge must still know that its chunks ran clean. It names the campaign (so shards of
different campaigns are never merged), every chunk's outcome, and the shard's winner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from replicheck.scale.plan import Shard

RECORD_FORMAT = "replicheck-shard"
RECORD_VERSION = 1
#: chunk statuses a record may hold (scale/chunk.py)
STATUSES = ("clean", "found", "error", "stopped", "cancelled")


class RecordError(ValueError):
    """A shard record that cannot be used: `path: what was expected`."""


@dataclass(frozen=True)
class ChunkRow:
    index: int
    seed: int
    max_examples: int
    status: str
    examples: int


@dataclass(frozen=True)
class Winner:
    """The shard's decisive chunk: a violation (anomalies) or a simulation error."""

    index: int
    seed: int
    status: str  # "found" or "error"
    anomalies: tuple[str, ...]
    scenario_steps: int | None
    reproduce: str
    report: str | None


@dataclass(frozen=True)
class ShardRecord:
    path: Path
    campaign: dict[str, object]  # flaw, config_hash, seed, max_examples, steps, chunks, engine
    shard: Shard
    chunks: tuple[ChunkRow, ...]
    winner: Winner | None
    examples: int
    elapsed_s: float


def record_name(shard: Shard) -> str:
    return f"shard-{shard.number}-of-{shard.count}.json"


def write_record(record: dict[str, object], directory: Path, shard: Shard) -> Path:
    """Write `record` (already a JSON object) as this shard's file; OSError propagates."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / record_name(shard)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def _field(data: dict[str, object], key: str, kind: type, path: Path, where: str) -> object:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RecordError(f"{path}: {where}{key!r} must be {kind.__name__}, got {value!r}")
    return value


def _int(data: dict[str, object], key: str, path: Path, where: str = "") -> int:
    value = _field(data, key, int, path, where)
    assert isinstance(value, int)
    return value


def _number(data: dict[str, object], key: str, path: Path) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{path}: {key!r} must be a number, got {value!r}")
    return float(value)


def load_record(path: Path) -> ShardRecord:
    """Read and check one shard record; RecordError says `path: what was expected`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RecordError(f"{path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", 1)
        raise RecordError(f"{path}:{line}: expected a shard record (JSON): {error}") from None
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise RecordError(f"{path}: expected a {RECORD_FORMAT!r} JSON object")
    if data.get("version") != RECORD_VERSION:
        raise RecordError(f"{path}: expected version {RECORD_VERSION}, got {data.get('version')!r}")
    campaign = _field(data, "campaign", dict, path, "")
    shard_data = _field(data, "shard", dict, path, "")
    assert isinstance(campaign, dict) and isinstance(shard_data, dict)
    number, count = (
        _int(shard_data, "number", path, "shard."),
        _int(shard_data, "count", path, "shard."),
    )
    if not 1 <= number <= count:
        raise RecordError(f"{path}: expected shard 1 <= number <= count, got {number}/{count}")
    return ShardRecord(
        path=path,
        campaign=campaign,
        shard=Shard(number, count),
        chunks=_chunks(data, path),
        winner=_winner(data, path),
        examples=_int(data, "examples", path),
        elapsed_s=_number(data, "elapsed_s", path),
    )


def _chunks(data: dict[str, object], path: Path) -> tuple[ChunkRow, ...]:
    rows = _field(data, "chunks", list, path, "")
    assert isinstance(rows, list)
    result = []
    for number, row in enumerate(rows):
        where = f"chunks[{number}]."
        if not isinstance(row, dict):
            raise RecordError(f"{path}: chunks[{number}] must be an object")
        status = _field(row, "status", str, path, where)
        if status not in STATUSES:
            raise RecordError(f"{path}: {where}status must be one of {', '.join(STATUSES)}")
        result.append(
            ChunkRow(
                index=_int(row, "index", path, where),
                seed=_int(row, "seed", path, where),
                max_examples=_int(row, "max_examples", path, where),
                status=str(status),
                examples=_int(row, "examples", path, where),
            )
        )
    return tuple(result)


def _winner(data: dict[str, object], path: Path) -> Winner | None:
    winner = data.get("winner")
    if winner is None:
        return None
    if not isinstance(winner, dict):
        raise RecordError(f"{path}: 'winner' must be an object or null")
    anomalies = _field(winner, "anomalies", list, path, "winner.")
    report = winner.get("report")
    steps = winner.get("scenario_steps")
    assert isinstance(anomalies, list)
    return Winner(
        index=_int(winner, "index", path, "winner."),
        seed=_int(winner, "seed", path, "winner."),
        status=str(_field(winner, "status", str, path, "winner.")),
        anomalies=tuple(str(a) for a in anomalies),
        scenario_steps=steps if isinstance(steps, int) else None,
        reproduce=str(_field(winner, "reproduce", str, path, "winner.")),
        report=report if isinstance(report, str) else None,
    )
