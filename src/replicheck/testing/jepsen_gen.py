"""Correct Jepsen-shape Kafka histories from an idealised Kafka, and single-fault injectors.

For tests and benchmarks. The model is a set of partitions (integer keys), each a log of
committed records whose offsets may have holes (a transaction marker after each
transactional commit, and now and then an offset that is skipped); clients that are
producers and consumers at once, as in Jepsen's workload:

- `send` ops append at completion (ok) or may land later or never (info: a timeout);
  `fail` sends never land;
- `poll` ops return, per assigned key, a contiguous run from the consumer's position of
  any length (fetch limits), possibly nothing;
- `assign` (optionally `seek-to-beginning?`) keeps the positions of keys that stay
  assigned and starts new ones at the committed offset; `subscribe` does the same and may
  rebalance a key during a poll (reported in `:rebalance-log`);
- `crash` (info) replaces the client with a fresh process, as Jepsen does;
- transactions (`txn=True`) mix polls and sends; their sends become visible at commit
  (Kafka's read-committed consumers never see uncommitted records);
- the history ends with Jepsen's final polls: a fresh client assigns every key, seeks to
  the beginning and polls until it has read everything.

Ops are plain dicts with Jepsen's field names (keywords as strings, integer keys), i.e.
what `replicheck.checker.history` yields for Jepsen's history.edn. `to_edn_line` writes one
as Jepsen's EDN (`prn` style) for round trips.
"""

from __future__ import annotations

import bisect
import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from hypothesis import strategies as st

from replicheck.checker.jepsen_kafka import JepsenKafka
from replicheck.model.base import Record

#: a single poll's records: key -> [[offset, value], ...]
PollMap: TypeAlias = dict[int, list[list[int]]]


@dataclass(frozen=True)
class JepsenGenConfig:
    ops: int = 200  # client ops before the final polls (each is an invoke and a completion)
    processes: int = 4
    keys: int = 3
    txn: bool = False
    subscribe: bool = False
    crash_ratio: float = 0.03
    info_ratio: float = 0.1
    fail_ratio: float = 0.05
    hole_ratio: float = 0.1
    max_poll_records: int = 5
    assign_ratio: float = 0.12  # of ops that re-assign (or subscribe) the consumer


class _Client:
    def __init__(self, process: int) -> None:
        self.process = process
        self.assigned: list[int] = []
        self.positions: dict[int, int] = {}  # key -> next offset to read
        self.op: Record | None = None  # the outstanding invocation


class _World:
    def __init__(self, config: JepsenGenConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng
        self.logs: dict[int, list[tuple[int, int]]] = {k: [] for k in range(config.keys)}
        self.offsets: dict[int, list[int]] = {k: [] for k in range(config.keys)}
        self.next_offset = dict.fromkeys(range(config.keys), 0)
        self.committed = dict.fromkeys(range(config.keys), 0)
        self.next_value = 0
        self.history: list[Record] = []
        self.late_sends: list[tuple[int, int]] = []  # info sends that will land later
        self.next_process = config.processes

    def emit(self, op: Record) -> Record:
        op["index"] = len(self.history)
        op["time"] = len(self.history) * 1000
        self.history.append(op)
        return op

    def append(self, key: int, value: int) -> int:
        if self.rng.random() < self.config.hole_ratio:
            self.next_offset[key] += 1  # an offset no record will ever show (a marker)
        offset = self.next_offset[key]
        self.logs[key].append((offset, value))
        self.offsets[key].append(offset)
        self.next_offset[key] = offset + 1
        return offset

    def fresh_value(self) -> int:
        self.next_value += 1
        return self.next_value

    def read(self, client: _Client, key: int, limit: int) -> list[list[int]]:
        """A contiguous run from the client's position, of length 0..limit."""
        position = client.positions.get(key, self.committed[key])
        log = self.logs[key]
        at = bisect.bisect_left(self.offsets[key], position)
        run = [list(record) for record in log[at : at + self.rng.randint(0, limit)]]
        if run:
            client.positions[key] = run[-1][0] + 1
            self.committed[key] = max(self.committed[key], run[-1][0] + 1)
        return run


def generate_jepsen(config: JepsenGenConfig, seed: int) -> list[Record]:
    """A correct history: every checker level must find nothing in it."""
    rng = random.Random(seed)
    world = _World(config, rng)
    clients = [_Client(p) for p in range(config.processes)]
    invoked = 0
    while invoked < config.ops or any(c.op for c in clients):
        client = rng.choice(clients)
        if world.late_sends and rng.random() < 0.2:
            key, value = world.late_sends.pop(0)
            world.append(key, value)
        if client.op is None:
            if invoked >= config.ops:
                continue
            invoked += 1
            client.op = world.emit(_invocation(world, client))
        else:
            replacement = _complete(world, client)
            if replacement is not None:
                clients[clients.index(client)] = replacement
    for key, value in world.late_sends:
        world.append(key, value)
    _final_polls(world)
    return world.history


def _invocation(world: _World, client: _Client) -> Record:
    config, rng = world.config, world.rng
    roll = rng.random()
    base: Record = {"type": "invoke", "process": client.process}
    if roll < config.crash_ratio:
        return {**base, "f": "crash", "value": None}
    if not client.assigned or roll < config.assign_ratio:
        keys = sorted(rng.sample(range(config.keys), rng.randint(1, config.keys)))
        f = "subscribe" if config.subscribe and rng.random() < 0.5 else "assign"
        op = {**base, "f": f, "value": keys}
        if f == "assign" and rng.random() < 0.2:
            op["seek-to-beginning?"] = True
        return op
    if config.txn and rng.random() < 0.5:
        mops: list[list[Any]] = []
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.5:
                mops.append(["poll"])
            else:
                mops.append(["send", rng.randrange(config.keys), world.fresh_value()])
        return {**base, "f": "txn", "value": mops}
    if rng.random() < 0.5:
        return {
            **base,
            "f": "send",
            "value": [["send", rng.randrange(config.keys), world.fresh_value()]],
        }
    return {**base, "f": "poll", "value": [["poll"]]}


def _complete(world: _World, client: _Client) -> _Client | None:
    """Complete the client's op; returns the replacement client after a crash."""
    config, rng = world.config, world.rng
    op = client.op
    assert op is not None
    client.op = None
    f = op["f"]
    done: Record = {"process": client.process, "f": f}
    if f == "crash":
        world.emit({**done, "type": "info", "value": None})
        return _replacement(world)
    if f in ("assign", "subscribe"):
        keys = op["value"]
        kept = {k: client.positions[k] for k in keys if k in client.positions}
        if op.get("seek-to-beginning?"):
            kept = dict.fromkeys(keys, 0)
        client.assigned, client.positions = list(keys), kept
        extra = {"seek-to-beginning?": True} if op.get("seek-to-beginning?") else {}
        world.emit({**done, "type": "ok", "value": keys, **extra})
        return None
    roll = rng.random()
    outcome = (
        "info"
        if roll < config.info_ratio
        else "fail"
        if roll < config.info_ratio + config.fail_ratio
        else "ok"
    )
    if f == "poll":
        outcome = "ok" if outcome != "info" else "info"
    if outcome == "fail":
        world.emit({**done, "type": "fail", "value": op["value"]})
        return None
    if outcome == "info":
        for mop in op["value"]:
            if mop[0] == "send" and rng.random() < 0.5:
                world.late_sends.append((mop[1], mop[2]))  # it will land later
        world.emit({**done, "type": "info", "value": op["value"]})
        return _replacement(world)
    result: list[list[Any]] = []
    rebalance: list[int] = []
    pending_sends: list[tuple[int, list[Any]]] = []
    for mop in op["value"]:
        if mop[0] == "poll":
            if config.subscribe and client.assigned and rng.random() < 0.15:
                key = rng.choice(client.assigned)
                client.positions.pop(key, None)  # rebalanced: restarts at the committed offset
                rebalance.append(key)
            polled: PollMap = {}
            for key in client.assigned:
                run = world.read(client, key, config.max_poll_records)
                if run:
                    polled[key] = run
            result.append(["poll", polled])
        else:
            slot = ["send", mop[1], [None, mop[2]]]
            result.append(slot)
            pending_sends.append((mop[1], slot))
    for key, slot in pending_sends:  # visible at commit
        slot[2][0] = world.append(key, slot[2][1])
    if f == "txn":
        for key in {key for key, _ in pending_sends}:
            world.next_offset[key] += 1  # the commit marker takes an offset
    completion = {**done, "type": "ok", "value": result}
    if rebalance:
        completion["rebalance-log"] = [{"keys": sorted(set(rebalance))}]
    world.emit(completion)
    return None


def _replacement(world: _World) -> _Client:
    client = _Client(world.next_process)
    world.next_process += 1
    return client


def _final_polls(world: _World) -> None:
    """Jepsen's final generator: a fresh client reads every key from the beginning."""
    client = _replacement(world)
    keys = sorted(world.logs)
    world.emit(
        {
            "type": "invoke",
            "process": client.process,
            "f": "assign",
            "value": keys,
            "seek-to-beginning?": True,
        }
    )
    world.emit(
        {
            "type": "ok",
            "process": client.process,
            "f": "assign",
            "value": keys,
            "seek-to-beginning?": True,
        }
    )
    client.assigned = keys
    client.positions = dict.fromkeys(keys, 0)
    while any(world.offsets[k] and client.positions[k] <= world.offsets[k][-1] for k in keys):
        world.emit({"type": "invoke", "process": client.process, "f": "poll", "value": [["poll"]]})
        polled: PollMap = {}
        for key in keys:
            run = world.read(client, key, world.config.max_poll_records)
            if run:
                polled[key] = run
        world.emit(
            {"type": "ok", "process": client.process, "f": "poll", "value": [["poll", polled]]}
        )


# -- EDN ---------------------------------------------------------------------------------------

_KEYWORD_FIELDS = ("type", "f")


def to_edn(value: Any, keyword: bool = False) -> str:
    """A value as Jepsen's `prn` writes it (strings as keywords where Jepsen has keywords)."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return (
            ":" + value if keyword else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        )
    if isinstance(value, list):
        # micro-op names are keywords: [:send 1 2], [:poll {...}]
        items = [to_edn(v, keyword=(i == 0 and v in ("send", "poll"))) for i, v in enumerate(value)]
        return "[" + " ".join(items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{to_edn(k)} {to_edn(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as EDN")


def to_edn_line(op: Record) -> str:
    """One op map line, keys as keywords, Jepsen's keyword-valued fields as keywords."""
    parts: list[str] = []
    for key, value in op.items():
        if key == "keys" or key == "rebalance-log":
            text = (
                "["
                + " ".join(
                    "{" + ", ".join(f":{k} {to_edn(v)}" for k, v in event.items()) + "}"
                    for event in value
                )
                + "]"
                if key == "rebalance-log"
                else to_edn(value)
            )
        else:
            text = to_edn(value, keyword=key in _KEYWORD_FIELDS)
        parts.append(f":{key} {text}")
    return "{" + ", ".join(parts) + "}"


# -- single faults -----------------------------------------------------------------------------


def _copy(history: list[Record]) -> list[Record]:
    return copy.deepcopy(history)


def _poll_map(op: Record) -> PollMap | None:
    """The records map of a single-poll ok op (`[[:poll {...}]]`), or None."""
    if op["type"] != "ok" or op["f"] != "poll" or len(op["value"]) != 1:
        return None
    polled: PollMap = op["value"][0][1]
    return polled


def _polled(op: Record) -> PollMap:
    """`_poll_map` of an op already known to be a single ok poll."""
    polled = _poll_map(op)
    assert polled is not None, "a single ok poll"
    return polled


def _acked(history: list[Record]) -> dict[tuple[int, int], Record]:
    """(key, value) -> the ok single-send op that acknowledged it."""
    out: dict[tuple[int, int], Record] = {}
    for op in history:
        if op["type"] == "ok" and op["f"] == "send" and len(op["value"]) == 1:
            _, key, (_, value) = op["value"][0]
            out[key, value] = op
    return out


def _continuing_polls(history: list[Record]) -> list[tuple[Record, int, list[int]]]:
    """(op, key, previous record) for single-poll ops whose consumer position is known
    and that continue a previous read of the key by the same process."""
    found: list[tuple[Record, int, list[int]]] = []
    translator = JepsenKafka()
    by_index = {op["index"]: op for op in history}
    last_record: dict[tuple[int, str], list[int]] = {}
    stream = translator.translate(history)
    for internal in stream:
        if internal["type"] != "invoke":
            continue
        done = next(stream)
        if done["f"] != "poll":
            continue
        slot = (done["process"], done["key"])
        op = by_index[done["index"]]
        if done.get("offset") is not None and slot in last_record and _poll_map(op) is not None:
            found.append((op, int(done["key"]), last_record[slot]))
        if done["value"]:
            last_record[slot] = done["value"][-1]
    return found


def inject_aborted_read(history: list[Record], rng: random.Random) -> list[Record] | None:
    """An acknowledged send that some poll read becomes a `fail` (→ G1a)."""
    history = _copy(history)
    read = {(k, r[1]) for op in history if (m := _poll_map(op)) for k, rs in m.items() for r in rs}
    candidates = [op for kv, op in _acked(history).items() if kv in read]
    if not candidates:
        return None
    op = rng.choice(candidates)
    _, key, (_, value) = op["value"][0]
    op["type"], op["value"] = "fail", [["send", key, value]]
    return history


def inject_poll_skip(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A continuing poll loses its first record (→ poll-skip)."""
    history = _copy(history)
    final_process = history[-1]["process"]  # its polls are the only reads of some records
    candidates = [
        (op, k)
        for op, k, _ in _continuing_polls(history)
        if len(_polled(op)[k]) >= 2 and op["process"] != final_process
    ]
    if not candidates:
        return None
    op, key = rng.choice(candidates)
    del _polled(op)[key][0]
    return history


def inject_replay_poll(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A continuing poll starts with the previous poll's last record again
    (→ nonmonotonic-poll)."""
    history = _copy(history)
    candidates = _continuing_polls(history)
    if not candidates:
        return None
    op, key, previous = rng.choice(candidates)
    _polled(op)[key].insert(0, list(previous))
    return history


def inject_reorder_within_poll(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A process's last poll of a key, read from an unknown position, returns its two
    records swapped (→ int-nonmonotonic-poll)."""
    history = _copy(history)
    last: dict[tuple[int, int], Record] = {}
    for op in history:
        polled = _poll_map(op)
        for key, records in (polled or {}).items():
            if records:
                last[op["process"], key] = op
    # a poll whose consumer position is unknown: a continuing one would also skip
    continuing = {(op["index"], key) for op, key, _ in _continuing_polls(history)}
    candidates = [
        (op, key)
        for (_, key), op in last.items()
        if len(_polled(op)[key]) == 2
        and (op["index"], key) not in continuing
        and "rebalance-log" not in op  # Jepsen skips the internal checks of a rebalanced op
    ]
    if not candidates:
        return None
    op, key = rng.choice(sorted(candidates, key=lambda c: (c[0]["index"], c[1])))
    records = _polled(op)[key]
    records[-1], records[-2] = records[-2], records[-1]
    return history


def inject_drop_from_final_read(history: list[Record], rng: random.Random) -> list[Record] | None:
    """A final poll loses an acknowledged record from its middle (→ lost-write, and the gap
    is an int-poll-skip)."""
    history = _copy(history)
    acked = _acked(history)
    final_process = history[-1]["process"]
    candidates: list[tuple[Record, int, int]] = []
    for op in history:
        if op["process"] != final_process:
            continue
        for key, records in (_poll_map(op) or {}).items():
            for i in range(1, len(records) - 1):
                if (key, records[i][1]) in acked:
                    candidates.append((op, key, i))
    if not candidates:
        return None
    op, key, i = rng.choice(candidates)
    del _polled(op)[key][i]
    return history


def inject_unseen_tail(history: list[Record], rng: random.Random) -> list[Record] | None:
    """The last acknowledged record of a key is never returned by any poll (→ unseen)."""
    history = _copy(history)
    acked = _acked(history)
    tails: dict[int, list[int]] = {}
    for op in history:
        for key, records in (_poll_map(op) or {}).items():
            for record in records:
                if record[0] >= tails.get(key, [-1])[0]:
                    tails[key] = record
    candidates: list[tuple[int, list[int], list[Record]]] = []
    for key, record in tails.items():
        if (key, record[1]) not in acked:
            continue
        readers = [op for op in history if record in (_poll_map(op) or {}).get(key, [])]
        # every reader is a single poll (it is in `_poll_map`), so `_polled` holds
        if all(_polled(op)[key][-1] == record for op in readers) and not any(
            op["type"] == "ok" and op["f"] == "txn" for op in history
        ):
            candidates.append((key, record, readers))
    if not candidates:
        return None
    key, record, readers = rng.choice(sorted(candidates, key=lambda c: c[0]))
    for op in readers:
        polled = _polled(op)
        polled[key].pop()
        if not polled[key]:
            del polled[key]
    return history


#: a fault injector: a correct history in, the faulty copy out (None: no place for the fault)
JepsenInjector: TypeAlias = Callable[[list[Record], random.Random], list[Record] | None]

#: name -> (injector, the anomaly kinds it must add, exactly)
JEPSEN_INJECTORS: dict[str, tuple[JepsenInjector, set[str]]] = {
    "aborted-read": (inject_aborted_read, {"G1a"}),
    "poll-skip": (inject_poll_skip, {"poll-skip"}),
    "replay-poll": (inject_replay_poll, {"nonmonotonic-poll"}),
    "reorder-within-poll": (inject_reorder_within_poll, {"int-nonmonotonic-poll"}),
    "drop-from-final-read": (inject_drop_from_final_read, {"lost-write", "int-poll-skip"}),
    "unseen-tail": (inject_unseen_tail, {"unseen"}),
}


def jepsen_configs(
    min_ops: int, *, assign_ratios: tuple[float, ...] = ()
) -> st.SearchStrategy[JepsenGenConfig]:
    """The generator configurations the property tests draw: small histories over 1-5
    processes and 1-4 keys with every kind of op and fault ratio; `assign_ratios` adds
    `:assign` ops (none by default)."""
    assert 1 <= min_ops <= 160
    ratios: dict[str, st.SearchStrategy[Any]] = {
        "crash_ratio": st.sampled_from([0.0, 0.05]),
        "info_ratio": st.sampled_from([0.0, 0.1, 0.3]),
        "fail_ratio": st.sampled_from([0.0, 0.1]),
        "hole_ratio": st.sampled_from([0.0, 0.2]),
    }
    if assign_ratios:
        ratios["assign_ratio"] = st.sampled_from(list(assign_ratios))
    return st.builds(
        JepsenGenConfig,
        ops=st.integers(min_ops, 160),
        processes=st.integers(1, 5),
        keys=st.integers(1, 4),
        txn=st.booleans(),
        subscribe=st.booleans(),
        **ratios,
        max_poll_records=st.integers(1, 6),
    )
