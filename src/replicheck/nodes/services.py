"""Maelstrom's services, in process, with the semantics of jepsen-io/maelstrom
doc/services.md (and its reference implementation, read for semantics only):

- `lin-kv`: one linearizable map. `read` → `read_ok {value}` or error 20;
  `write` → `write_ok`; `cas {from, to}` → `cas_ok`, error 22 when the value is not
  `from`, error 20 when the key is missing unless `create_if_not_exists: true`, which
  creates it with `to`.
- `seq-kv`: sequentially consistent. The service keeps its last `SEQ_HISTORY` states; an
  operation that would change nothing (a read, a failing cas, a write of the current value)
  may be answered from any state no older than the last one this client saw, and the client
  then has seen that state; an operation that changes the map is applied to the newest
  state. Each client therefore sees a monotonic sequence and all updates one total order --
  stale reads are allowed only to operations that change nothing, as Maelstrom allows.
- `lww-kv`: `LWW_REPLICAS` independent replicas (the docs' default: 5), each with a
  Lamport clock; a write takes the replica's clock as its timestamp. Before each request
  one random replica's state is merged into another (higher timestamp wins, a tie keeps the
  receiver's value); the request is served by a random replica. Same API as `lin-kv`.
- `lin-tso`: `ts` → `ts_ok {ts}`, 0, 1, 2, … .

Values and keys are any JSON and are compared as JSON (`true` is not `1`). Randomness comes
from the `random.Random` the harness passes in, so a service's choices follow the run's seed.
"""

from __future__ import annotations

import json
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from replicheck.nodes.protocol import KEY_DOES_NOT_EXIST, PRECONDITION_FAILED, error_body

SEQ_HISTORY = 32
LWW_REPLICAS = 5
SERVICE_NAMES = ("lin-kv", "seq-kv", "lww-kv", "lin-tso")

#: a map state: canonical JSON of the key -> canonical JSON of the value
KvMap = dict[str, str]


def canon(value: Any) -> str:
    """Canonical JSON: the identity under which Maelstrom compares keys and values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def apply_kv(m: KvMap, body: dict[str, Any]) -> tuple[KvMap, dict[str, Any]]:
    """One kv request against map `m`: (the map after it, the reply body). `m` is not mutated."""
    kind = body.get("type")
    if "key" not in body:
        return m, error_body(12, f"{kind} needs a key")
    key = canon(body["key"])
    if kind == "read":
        if key not in m:
            return m, error_body(KEY_DOES_NOT_EXIST, "key does not exist")
        return m, {"type": "read_ok", "value": json.loads(m[key])}
    if kind == "write":
        return {**m, key: canon(body.get("value"))}, {"type": "write_ok"}
    if kind == "cas":
        if key not in m:
            if body.get("create_if_not_exists") is True:
                return {**m, key: canon(body.get("to"))}, {"type": "cas_ok"}
            return m, error_body(KEY_DOES_NOT_EXIST, "key does not exist")
        if m[key] != canon(body.get("from")):
            return m, error_body(
                PRECONDITION_FAILED, f"current value {m[key]} is not {canon(body.get('from'))}"
            )
        return {**m, key: canon(body.get("to"))}, {"type": "cas_ok"}
    return m, error_body(10, f"unsupported request type {kind!r}")


class Service:
    name = ""

    def handle(
        self, src: str, body: dict[str, Any]
    ) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError


class LinKv(Service):
    name = "lin-kv"

    def __init__(self) -> None:
        self.state: KvMap = {}

    def handle(self, src: str, body: dict[str, Any]) -> dict[str, Any]:
        self.state, reply = apply_kv(self.state, body)
        return reply


class SeqKv(Service):
    """States 0..last are kept in a ring (the newest `SEQ_HISTORY`); `seen[client]` is the
    index of the newest state that client has observed."""

    name = "seq-kv"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.states: deque[KvMap] = deque([{}], maxlen=SEQ_HISTORY)
        self.last = 0
        self.seen: dict[str, int] = {}

    def handle(self, src: str, body: dict[str, Any]) -> dict[str, Any]:
        oldest = self.last - len(self.states) + 1
        floor = max(self.seen.get(src, 0), oldest)
        index = self.rng.randint(floor, self.last)
        state = self.states[index - oldest]
        after, reply = apply_kv(state, body)
        if after == state:
            self.seen[src] = index
            return reply
        after, reply = apply_kv(self.states[-1], body)  # an update: only on the newest state
        if after != self.states[-1]:
            self.states.append(after)
            self.last += 1
        self.seen[src] = self.last
        return reply


@dataclass
class _LwwReplica:
    clock: int = 0
    values: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (ts, value)

    def view(self) -> KvMap:
        return {k: v for k, (_, v) in self.values.items()}

    def merge_from(self, other: _LwwReplica) -> None:
        self.clock = max(self.clock, other.clock)
        for key, (ts, value) in other.values.items():
            mine = self.values.get(key)
            if mine is None or mine[0] < ts:
                self.values[key] = (ts, value)


class LwwKv(Service):
    name = "lww-kv"

    def __init__(self, rng: random.Random, replicas: int = LWW_REPLICAS) -> None:
        assert replicas >= 1
        self.rng = rng
        self.replicas = [_LwwReplica() for _ in range(replicas)]

    def handle(self, src: str, body: dict[str, Any]) -> dict[str, Any]:
        source, dest = self.rng.choice(self.replicas), self.rng.choice(self.replicas)
        if source is not dest:
            dest.merge_from(source)
        replica = self.rng.choice(self.replicas)
        after, reply = apply_kv(replica.view(), body)
        if reply["type"] in ("write_ok", "cas_ok"):
            key = canon(body["key"])
            replica.values[key] = (replica.clock, after[key])
            replica.clock += 1
        return reply


class LinTso(Service):
    name = "lin-tso"

    def __init__(self) -> None:
        self.next_ts = 0

    def handle(self, src: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("type") != "ts":
            return error_body(10, f"unsupported request type {body.get('type')!r}")
        self.next_ts += 1
        return {"type": "ts_ok", "ts": self.next_ts - 1}


def make_services(rng: random.Random) -> dict[str, Service]:
    return {"lin-kv": LinKv(), "seq-kv": SeqKv(rng), "lww-kv": LwwKv(rng), "lin-tso": LinTso()}
