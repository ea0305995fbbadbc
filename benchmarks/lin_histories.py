"""Seeded generators of linearizable histories for the linearizability benchmark.

Clients talk to an atomic in-memory system; each operation takes effect at a random moment
between its invocation and its completion, so every generated history is linearizable and
the checker has to find a linearization (the expensive case: a violation usually stops the
search early). `info_rate` turns some completions into `info`: half of those took effect,
half never did, and the process is replaced by a fresh one, as in Jepsen.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Apply = Callable[[random.Random, dict], tuple[str, dict]]


def simulate(
    seed: int,
    op_count: int,
    clients: int,
    invoke: Callable[[random.Random, int, int], dict],
    apply: Apply,
    info_rate: float = 0.0,
) -> list[dict]:
    """Run `clients` concurrent clients until `op_count` operations were invoked.

    `invoke(rng, serial, slot)` builds an invocation (without process/type) for client
    `slot`; `apply(rng, op)`
    performs it atomically and returns (completion type, completion fields).
    """
    assert clients >= 1 and op_count >= 0
    rng = random.Random(seed)
    history: list[dict] = []
    process_of = list(range(clients))  # client slot -> current process id
    next_process = clients
    # slot -> [invocation, result or None]
    pending: dict[int, list[Any]] = {}
    invoked = 0
    while invoked < op_count or pending:
        slot = rng.randrange(clients)
        entry = pending.get(slot)
        if entry is None:
            if invoked >= op_count:
                continue
            op = {"process": process_of[slot], "type": "invoke", **invoke(rng, invoked, slot)}
            invoked += 1
            pending[slot] = [op, None]
            history.append(op)
        elif entry[1] is None:
            if info_rate and rng.random() < info_rate / 2:
                # a request that timed out before it took effect
                history.append({**entry[0], "type": "info"})
                del pending[slot]
                process_of[slot], next_process = next_process, next_process + 1
            else:
                entry[1] = apply(rng, entry[0])
        else:
            op, (kind, fields) = entry
            del pending[slot]
            if info_rate and rng.random() < info_rate / 2:
                history.append({**op, "type": "info"})  # it took effect; the reply was lost
                process_of[slot], next_process = next_process, next_process + 1
            else:
                history.append({**op, "type": kind, **fields})
    for index, op in enumerate(history):
        op["index"] = index
    return history


def kv_history(seed: int, op_count: int, clients: int, shared: float = 0.2) -> list[dict]:
    """get/put/append, in the shape of the MIT 6.824 key-value tests that Porcupine is
    measured on: each client works mostly on a key of its own and, with probability
    `shared`, on another client's key. Written values are unique, so reads are informative.
    """
    store: dict[str, str] = {}

    def invoke(rng: random.Random, serial: int, slot: int) -> dict:
        owner = slot if rng.random() >= shared else rng.randrange(clients)
        key = f"k{owner}"
        roll = rng.random()
        if roll < 0.5:
            return {"f": "get", "key": key, "value": None}
        if roll < 0.85:
            return {"f": "append", "key": key, "value": f"x {serial} y;"}
        return {"f": "put", "key": key, "value": f"x {serial} y;"}

    def apply(rng: random.Random, op: dict) -> tuple[str, dict]:
        key = op["key"]
        if op["f"] == "get":
            return "ok", {"value": store.get(key, "")}
        if op["f"] == "append":
            store[key] = store.get(key, "") + op["value"]
        else:
            store[key] = op["value"]
        return "ok", {}

    return simulate(seed, op_count, clients, invoke, apply)


def register_history(seed: int, op_count: int, clients: int, info_rate: float) -> list[dict]:
    """One register: reads, unique writes and cas ops; `info_rate` of them end as info."""
    cell: list[Any] = [None]

    def invoke(rng: random.Random, serial: int, slot: int) -> dict:
        roll = rng.random()
        if roll < 0.5:
            return {"f": "read", "value": None}
        if roll < 0.8:
            return {"f": "write", "value": serial}
        old = cell[0] if rng.random() < 0.7 else serial - 1
        return {"f": "cas", "value": [old, serial]}

    def apply(rng: random.Random, op: dict) -> tuple[str, dict]:
        if op["f"] == "read":
            return "ok", {"value": cell[0]}
        if op["f"] == "write":
            cell[0] = op["value"]
            return "ok", {}
        old, new = op["value"]
        if cell[0] == old:
            cell[0] = new
            return "ok", {}
        return "fail", {}

    return simulate(seed, op_count, clients, invoke, apply, info_rate=info_rate)


def log_history(
    seed: int, op_count: int, clients: int, partitions: int, info_rate: float = 0.0
) -> list[dict]:
    """Producers and consumers on a topic: sends acknowledged with their offset, polls
    from a recent offset returning everything to the end of the partition."""
    logs: dict[str, list[str]] = {}

    def invoke(rng: random.Random, serial: int, slot: int) -> dict:
        key = f"orders-{rng.randrange(partitions)}"
        if rng.random() < 0.6:
            return {"f": "send", "key": key, "value": f"m{serial}"}
        end = len(logs.get(key, ()))
        return {"f": "poll", "key": key, "value": None, "offset": max(0, end - rng.randrange(4))}

    def apply(rng: random.Random, op: dict) -> tuple[str, dict]:
        log = logs.setdefault(op["key"], [])
        if op["f"] == "send":
            log.append(op["value"])
            return "ok", {"offset": len(log) - 1}
        start = op["offset"]
        return "ok", {"value": [[o, log[o]] for o in range(start, len(log))]}

    return simulate(seed, op_count, clients, invoke, apply, info_rate=info_rate)
