"""Correct concurrent send/poll histories of a partitioned log, and fault injectors.

The generator runs an idealised Kafka: one sequential log per partition, every write
committed the instant it takes effect. Operations overlap (each has an invocation, a
moment it takes effect, and a completion), sends end `ok`, `fail` (not written) or
`info` (written or not; the client cannot tell), polls continue, rewind or seek. Such a
history must never be flagged; the property tests check exactly that, then inject one
fault and check that exactly its anomalies are reported.

Everything is driven by a seeded `random.Random`: the same arguments give the same history.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from replicheck.model.base import Record


@dataclass(frozen=True)
class GenConfig:
    """Shape of a generated history."""

    ops: int = 1000  # client operations (invoke + completion pairs), before final reads
    processes: int = 5
    partitions: int = 2
    topic: str = "orders"
    send_ratio: float = 0.5
    fail_ratio: float = 0.05  # fraction of sends that fail
    info_ratio: float = 0.05  # fraction of sends (and polls) that end info
    info_written_ratio: float = 0.5  # of the info sends, how many were really written
    max_poll_records: int = 8
    seek_ratio: float = 0.1  # polls that seek somewhere instead of continuing
    final_reads: bool = True
    final_chunk_records: int = 0  # 0: one final poll per partition; else chunked


@dataclass(frozen=True)
class _Outcome:
    """How an operation ended, decided at the instant it took effect."""

    type: str  # "ok", "fail" or "info"
    offset: int | None = None  # an ok send's offset
    records: list[list[Any]] | None = None  # an ok poll's [offset, message] pairs


@dataclass
class _InFlight:
    """A client operation between its invocation and its completion."""

    invoke: Record
    outcome: _Outcome | None = None  # None until it has taken effect


@dataclass
class _World:
    """The idealised cluster: one sequential log per partition, and each consumer's
    position (process, key) -> next offset."""

    keys: list[str]
    logs: dict[str, list[str]]
    position: dict[tuple[int, str], int]


def _iter_history(config: GenConfig, rng: random.Random) -> Iterator[Record]:
    """Yield the operations of one history, in order (without `index`/`time`)."""
    keys = [f"{config.topic}-{p}" for p in range(config.partitions)]
    world = _World(keys, {key: [] for key in keys}, {})
    pending: dict[int, _InFlight] = {}
    idle = list(range(config.processes))
    started = 0
    message_id = 0
    rand = rng.random
    while started < config.ops or pending:
        if idle and started < config.ops and (not pending or rand() < 0.5):
            process = idle.pop(rng.randrange(len(idle)))
            key = keys[rng.randrange(len(keys))]
            started += 1
            if rand() < config.send_ratio:
                message_id += 1
                op = _send(process, key, f"m{message_id}")
            else:
                op = _poll(config, rng, world, process, key)
            pending[process] = _InFlight(op)
            yield op
            continue
        process = rng.choice(list(pending))
        entry = pending[process]
        if entry.outcome is None:
            entry.outcome = _take_effect(config, rng, entry.invoke, world.logs[entry.invoke["key"]])
            continue
        del pending[process]
        idle.append(process)
        yield _completion(process, entry.invoke, entry.outcome, world)
    if config.final_reads:
        yield from _final_reads(config, world)


def _send(process: int, key: str, message: str) -> Record:
    return {"process": process, "type": "invoke", "f": "send", "key": key, "value": message}


def _poll(config: GenConfig, rng: random.Random, world: _World, process: int, key: str) -> Record:
    """A poll's invocation: it continues where the process left off, or seeks."""
    rand = rng.random
    log_end = len(world.logs[key])
    start = world.position.get((process, key), 0)
    if rand() < config.seek_ratio:
        start = 0 if rand() < 0.5 else rng.randrange(log_end + 3)
    return {
        "process": process,
        "type": "invoke",
        "f": "poll",
        "key": key,
        "offset": start,
        "value": None,
    }


def _completion(process: int, op: Record, outcome: _Outcome, world: _World) -> Record:
    """The completion of `op`; an ok poll moves its consumer's position."""
    key = op["key"]
    done: Record = {"process": process, "type": outcome.type, "f": op["f"], "key": key}
    if op["f"] == "send":
        done["value"] = op["value"]
        if outcome.type == "ok":
            done["offset"] = outcome.offset
        elif outcome.type == "fail":
            done["error"] = "NOT_ENOUGH_REPLICAS"
        else:
            done["error"] = "REQUEST_TIMED_OUT"
        return done
    done["offset"] = op["offset"]
    if outcome.type == "ok":
        records = outcome.records
        assert records is not None, "an ok poll has its records"
        done["value"] = records
        if records:
            world.position[(process, key)] = records[-1][0] + 1
    else:
        done["value"] = None
        done["error"] = "REQUEST_TIMED_OUT"
    return done


def _final_reads(config: GenConfig, world: _World) -> Iterator[Record]:
    """A fresh consumer reads every partition from offset 0 to its end."""
    process = config.processes
    for key in world.keys:
        log = world.logs[key]
        chunk = config.final_chunk_records or max(1, len(log))
        start = 0
        while True:
            records = [[o, log[o]] for o in range(start, min(start + chunk, len(log)))]
            for kind, value in (("invoke", None), ("ok", records)):
                yield {
                    "process": process,
                    "type": kind,
                    "f": "poll",
                    "key": key,
                    "offset": start,
                    "value": value,
                    "final": True,
                }
            start += len(records)
            if start >= len(log) or not records:
                break


def _take_effect(config: GenConfig, rng: random.Random, op: Record, log: list[str]) -> _Outcome:
    """Apply an operation to the sequential log at its linearization point."""
    if op["f"] == "send":
        roll = rng.random()
        if roll < config.fail_ratio:
            return _Outcome("fail")
        if roll < config.fail_ratio + config.info_ratio:
            if rng.random() < config.info_written_ratio:
                log.append(op["value"])
            return _Outcome("info")
        log.append(op["value"])
        return _Outcome("ok", offset=len(log) - 1)
    if rng.random() < config.info_ratio:
        return _Outcome("info")
    start = op["offset"]
    count = rng.randint(1, config.max_poll_records)
    return _Outcome("ok", records=[[o, log[o]] for o in range(start, min(start + count, len(log)))])


def iter_history(config: GenConfig, seed: int) -> Iterator[Record]:
    """Stream a generated history with `index` and `time` (ns) filled in."""
    rng = random.Random(seed)
    for index, op in enumerate(_iter_history(config, rng)):
        yield {"index": index, "time": index * 1000, **op}


def generate_history(config: GenConfig, seed: int) -> list[Record]:
    """A whole generated history (see `iter_history`)."""
    return list(iter_history(config, seed))


# -- fault injectors --------------------------------------------------------------------------
# Each takes a correct history and a Random, and returns a new history with one fault, or
# None when the history offers no place for it. EXPECTED maps each to exactly the anomaly
# kinds the checker must report for it.


def _copy(history: list[Record]) -> list[Record]:
    out: list[Record] = []
    for op in history:
        op = dict(op)
        if op.get("type") == "ok" and op.get("f") == "poll" and op.get("value"):
            op["value"] = [list(record) for record in op["value"]]
        out.append(op)
    return out


def _acked(history: list[Record]) -> dict[tuple[str, int], str]:
    return {
        (op["key"], op["offset"]): op["value"]
        for op in history
        if op["type"] == "ok" and op["f"] == "send"
    }


def _final_polls(history: list[Record]) -> list[Record]:
    return [op for op in history if op["type"] == "ok" and op["f"] == "poll" and op.get("final")]


def _renumber(history: list[Record]) -> list[Record]:
    for index, op in enumerate(history):
        op["index"] = index
        op["time"] = index * 1000
    return history


def drop(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A final read loses an acknowledged record in its middle (→ lost-write, and the gap
    is an int-poll-skip: one op's records jump over a known record)."""
    history = _copy(history)
    acked = _acked(history)
    spots = [
        (op, i)
        for op in _final_polls(history)
        for i in range(1, len(op["value"]) - 1)
        if (op["key"], op["value"][i][0]) in acked
    ]
    if not spots:
        return None
    op, i = rng.choice(spots)
    del op["value"][i]
    return history


def drop_tail(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A final read ends early, before an acknowledged record (→ unseen)."""
    history = _copy(history)
    acked = _acked(history)
    # the last final poll of a partition holds its end
    last_poll: dict[str, Record] = {}
    for op in _final_polls(history):
        last_poll[op["key"]] = op
    spots = [
        (op, i)
        for op in last_poll.values()
        for i in range(len(op["value"]))
        if (op["key"], op["value"][i][0]) in acked
    ]
    if not spots:
        return None
    op, i = rng.choice(spots)
    del op["value"][i:]
    return history


def swap(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A final read shows two acknowledged messages at each other's offsets.

    Both messages are still present, so nothing is lost: the evidence is two messages
    per offset (inconsistent-offsets) and one message per two offsets (duplicate).
    """
    history = _copy(history)
    acked = _acked(history)
    spots: list[tuple[Record, list[int]]] = []
    for op in _final_polls(history):
        acked_at = [i for i, r in enumerate(op["value"]) if (op["key"], r[0]) in acked]
        if len(acked_at) >= 2:
            spots.append((op, acked_at))
    if not spots:
        return None
    op, acked_at = rng.choice(spots)
    i, j = sorted(rng.sample(acked_at, 2))
    records = op["value"]
    records[i][1], records[j][1] = records[j][1], records[i][1]
    return history


def duplicate(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A final read shows an acknowledged message again past the log end (→ duplicate)."""
    history = _copy(history)
    acked = _acked(history)
    last_poll: dict[str, Record] = {}
    for op in _final_polls(history):
        last_poll[op["key"]] = op
    spots = [
        (op, r[1])
        for op in last_poll.values()
        if op["value"]
        for r in op["value"]
        if (op["key"], r[0]) in acked
    ]
    if not spots:
        return None
    op, message = rng.choice(spots)
    op["value"].append([op["value"][-1][0] + 1, message])
    return history


def _continuing_polls(history: list[Record]) -> list[tuple[Record, Record]]:
    """(previous poll, poll) pairs where a process's poll continues its previous one."""
    last: dict[tuple[int, str], Record] = {}
    pairs: list[tuple[Record, Record]] = []
    for op in history:
        if op["type"] != "ok" or op["f"] != "poll" or not op["value"]:
            continue
        slot = (op["process"], op["key"])
        previous = last.get(slot)
        if previous is not None and op["offset"] == previous["value"][-1][0] + 1:
            pairs.append((previous, op))
        last[slot] = op
    return pairs


def skip(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A continuing (non-final) poll misses its first record (→ poll-skip)."""
    history = _copy(history)
    spots = [
        op for _, op in _continuing_polls(history) if len(op["value"]) >= 2 and not op.get("final")
    ]
    if not spots:
        return None
    op = rng.choice(spots)
    del op["value"][0]
    return history


def replay_poll(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A continuing poll returns the previous poll's records again (→ nonmonotonic-poll)."""
    history = _copy(history)
    spots = [pair for pair in _continuing_polls(history) if not pair[1].get("final")]
    if not spots:
        return None
    previous, op = rng.choice(spots)
    op["value"] = [list(record) for record in previous["value"]]
    return history


def reorder_sends(history: list[Record], rng: random.Random) -> list[Record] | None:
    """Two successive acked sends of one process trade places in time (→ nonmonotonic-send)."""
    history = _copy(history)
    invoke_at: dict[int, int] = {}
    last_send: dict[tuple[int, str], tuple[int, int]] = {}
    spots: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for i, op in enumerate(history):
        if op["type"] == "invoke":
            invoke_at[op["process"]] = i
            continue
        if op["f"] != "send" or op["type"] != "ok":
            continue
        slot = (op["process"], op["key"])
        pair = (invoke_at[op["process"]], i)
        if slot in last_send:
            spots.append((last_send[slot], pair))
        last_send[slot] = pair
    if not spots:
        return None
    (i1, c1), (i2, c2) = rng.choice(spots)
    history[i1], history[i2] = history[i2], history[i1]
    history[c1], history[c2] = history[c2], history[c1]
    return _renumber(history)


def diverge(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A non-final read shows a foreign message at an offset nobody acknowledged.

    Only offsets written by `info` sends qualify, so no acknowledged write is contradicted
    and the fault is exactly inconsistent-offsets (the final read shows the real message).
    """
    history = _copy(history)
    acked = _acked(history)
    spots = [
        (op, i)
        for op in history
        if op["type"] == "ok" and op["f"] == "poll" and not op.get("final") and op["value"]
        for i, r in enumerate(op["value"])
        if (op["key"], r[0]) not in acked
    ]
    if not spots:
        return None
    op, i = rng.choice(spots)
    op["value"][i][1] = f"forged-{op['index']}-{i}"
    return history


#: a fault injector: a correct history in, the faulty copy out (None: no place for the fault)
Injector: TypeAlias = Callable[[list[Record], random.Random], list[Record] | None]

#: injector name -> (injector, exactly the anomaly kinds it must produce)
INJECTORS: dict[str, tuple[Injector, set[str]]] = {
    "drop": (drop, {"lost-write", "int-poll-skip"}),
    "drop-tail": (drop_tail, {"unseen"}),
    "swap": (swap, {"inconsistent-offsets", "duplicate"}),
    "duplicate": (duplicate, {"duplicate"}),
    "skip": (skip, {"poll-skip"}),
    "replay-poll": (replay_poll, {"nonmonotonic-poll"}),
    "reorder-sends": (reorder_sends, {"nonmonotonic-send"}),
    "diverge": (diverge, {"inconsistent-offsets"}),
}
