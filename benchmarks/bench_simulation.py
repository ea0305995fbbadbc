"""Simulation throughput: how fast the reference cluster runs (the campaign's inner loop).

Run: `python benchmarks/bench_simulation.py` (from the repository root). Prints a table
and writes benchmarks/results/simulation.json. Workloads, all on 3 brokers / 3 partitions /
RF 3 with the correct configuration:

- steady: 6 closed-loop producers (send, wait for the ack, send again) plus 2 consumers
  reading their partition sequentially, for 20 simulated seconds;
- faults: the same load with a broker crash / restart, a network partition and a heal
  every simulated second;
- idle: no clients, 60 simulated seconds (the cost of heartbeats and long-poll fetches);
- steady-idem / faults-idem: the same two loads with Kafka's default producer
  (enable.idempotence, retries until delivery.timeout.ms): the cost of InitProducerId, the
  producer fields on every record, the leader's dedup check and the producer-state rebuild
  on every election;
- scenarios: complete campaign-style runs (new cluster, 40 random driver calls, final
  read) — the number that bounds how many scenarios per second a campaign can try.

Wall-clock time is measured here and only here; the simulation itself never reads it.
"""

from __future__ import annotations

import json
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.config import idempotent_producer

CONFIG = ClusterConfig(partition_count=3)
IDEMPOTENT = idempotent_producer(CONFIG)
PRODUCERS = 6
CONSUMERS = 2


def _closed_loop(cluster: Cluster, sim_ms: int, fault_every_ms: int | None) -> int:
    """Drive producers/consumers for `sim_ms`; returns client ops completed."""
    counter = 0
    offsets = dict.fromkeys(range(PRODUCERS, PRODUCERS + CONSUMERS), 0)
    consumer_op: dict[int, int] = {}  # history index of each consumer's last invoke
    rng = random.Random(1)
    down: list[int] = []
    end = cluster.now_ms + sim_ms
    next_fault = cluster.now_ms + (fault_every_ms or sim_ms + 1)
    while cluster.now_ms < end:
        for p in range(PRODUCERS):
            if cluster.is_idle(p):
                counter += 1
                cluster.send(p, p % CONFIG.partition_count, f"m{counter}")
        for c in offsets:
            if cluster.is_idle(c):
                last = None
                if c in consumer_op:
                    last = next(op for op in cluster.history[consumer_op[c] + 1:]
                                if op["process"] == c)
                if last is not None and last["type"] == "ok" and last["value"]:
                    offsets[c] = last["value"][-1][0] + 1
                consumer_op[c] = len(cluster.history)
                cluster.poll(c, c % CONFIG.partition_count, offsets[c])
        cluster.tick(1)
        if fault_every_ms and cluster.now_ms >= next_fault:
            next_fault += fault_every_ms
            if down:
                cluster.restart(down.pop())
                cluster.heal()
            else:
                broker = rng.randint(1, 3)
                cluster.crash(broker)
                down.append(broker)
                others = [b for b in (1, 2, 3) if b != broker]
                cluster.partition([[f"b{others[0]}"], [f"b{others[1]}"]])
    return sum(1 for op in cluster.history if op["type"] != "invoke")


def bench_load(name: str, sim_ms: int, fault_every_ms: int | None,
               config: ClusterConfig = CONFIG) -> dict:
    cluster = Cluster(config, seed=7)
    start = time.perf_counter()
    ops = _closed_loop(cluster, sim_ms, fault_every_ms)
    wall_s = time.perf_counter() - start
    events = cluster.messages_delivered + cluster.timer_ticks
    return {
        "workload": name,
        "simulated_ms": sim_ms,
        "wall_s": round(wall_s, 3),
        "events": events,  # messages delivered plus node wakeups
        "events_per_s": round(events / wall_s),
        "messages": cluster.messages_delivered,
        "messages_per_s": round(cluster.messages_delivered / wall_s),
        "client_ops": ops,
        "client_ops_per_s": round(ops / wall_s),
        "sim_ms_per_wall_s": round(sim_ms / wall_s),
    }


def bench_idle(sim_ms: int) -> dict:
    cluster = Cluster(CONFIG, seed=7)
    start = time.perf_counter()
    cluster.tick(sim_ms)
    wall_s = time.perf_counter() - start
    return {
        "workload": "idle",
        "simulated_ms": sim_ms,
        "wall_s": round(wall_s, 3),
        "messages": cluster.messages_delivered,
        "messages_per_s": round(cluster.messages_delivered / wall_s),
        "client_ops": 0,
        "client_ops_per_s": 0,
        "sim_ms_per_wall_s": round(sim_ms / wall_s),
    }


def _random_scenario(cluster: Cluster, rng: random.Random, steps: int) -> None:
    counter = 0
    for _ in range(steps):
        kind = rng.choice(["send", "send", "send", "poll", "tick", "tick", "crash",
                           "restart", "partition", "heal"])
        if kind == "send" and cluster.is_idle(0):
            counter += 1
            cluster.send(0, rng.randrange(3), f"m{counter}")
            for _ in range(CONFIG.request_timeout_ms):
                if cluster.is_idle(0):
                    break
                cluster.tick(1)
        elif kind == "poll" and cluster.is_idle(1):
            cluster.poll(1, rng.randrange(3), rng.randint(0, 5))
        elif kind == "tick":
            cluster.tick(rng.choice([10, 110, 90]))
        elif kind == "crash":
            live = [b for b in (1, 2, 3) if cluster.is_live(b)]
            if live:
                cluster.crash(rng.choice(live))
        elif kind == "restart":
            dead = [b for b in (1, 2, 3) if not cluster.is_live(b)]
            if dead:
                cluster.restart(rng.choice(dead))
        elif kind == "partition":
            nodes = ["b1", "b2", "b3", "controller", "c0"]
            rng.shuffle(nodes)
            cluster.partition([nodes[:2], nodes[2:]])
        else:
            cluster.heal()
        cluster.invariant_violations()
    cluster.final_read(9)


def bench_scenarios(count: int) -> dict:
    rng = random.Random(3)
    messages = 0
    ops = 0
    start = time.perf_counter()
    for i in range(count):
        cluster = Cluster(CONFIG, seed=i)
        _random_scenario(cluster, rng, 40)
        messages += cluster.messages_delivered
        ops += sum(1 for op in cluster.history if op["type"] != "invoke")
    wall_s = time.perf_counter() - start
    return {
        "workload": "scenarios",
        "scenarios": count,
        "scenarios_per_s": round(count / wall_s, 1),
        "wall_s": round(wall_s, 3),
        "messages": messages,
        "messages_per_s": round(messages / wall_s),
        "client_ops": ops,
        "client_ops_per_s": round(ops / wall_s),
    }


def main() -> None:
    results = [
        bench_load("steady", 20_000, None),
        bench_load("faults", 20_000, 1_000),
        bench_load("steady-idem", 20_000, None, IDEMPOTENT),
        bench_load("faults-idem", 20_000, 1_000, IDEMPOTENT),
        bench_idle(60_000),
        bench_scenarios(100),
    ]
    header = f"{'workload':<12} {'wall s':>7} {'messages':>9} {'msg/s':>8} {'events/s':>9} " \
             f"{'ops':>6} {'ops/s':>7} {'sim ms/s':>9} {'scen/s':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['workload']:<12} {r['wall_s']:>7.2f} {r['messages']:>9} "
              f"{r['messages_per_s']:>8} {r.get('events_per_s', ''):>9} "
              f"{r['client_ops']:>6} {r['client_ops_per_s']:>7} "
              f"{r.get('sim_ms_per_wall_s', ''):>9} {r.get('scenarios_per_s', ''):>7}")
    out = Path(__file__).resolve().parent / "results" / "simulation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"python": sys.version.split()[0], "machine": platform.machine(),
            "config": CONFIG.to_dict()}
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    by_name = {r["workload"]: r for r in results}
    for base in ("steady", "faults"):
        plain, idem = by_name[base], by_name[base + "-idem"]
        print(f"idempotence cost ({base}): events/s {idem['events_per_s'] / plain['events_per_s']:.2f}x, "
              f"client ops/s {idem['client_ops_per_s'] / plain['client_ops_per_s']:.2f}x")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
