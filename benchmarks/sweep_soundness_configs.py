"""Soundness sweep over the correct configurations the slow-link actions, shared
producers and ELR matter for (not run in CI): broker epochs, the default, an idempotent and
an at-least-once producer shared by three processes, and ELR with balanced unclean recovery
under page-cache durability. Counts how often each slow-link action ran and how many
examples started an unclean recovery, so a sweep that never exercised them does not pass
for evidence.

    nice -n 10 python benchmarks/sweep_soundness_configs.py --examples 1000
    nice -n 10 python benchmarks/sweep_soundness_configs.py --only elr --elr-seeds 6

Prints one JSON line per (configuration, seed) and writes
benchmarks/results/soundness-configs.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ACTIONS = ("_do_restart_behind_slow_link", "_do_failover_behind_slow_controller")


def _count_actions(used: Counter[str]) -> None:
    import replicheck.stateful.machine as machine

    for name in ACTIONS:
        original = getattr(machine.CampaignMachine, name)

        def counted(self: Any, data: Any, _original: Callable = original, _name: str = name) -> Any:
            used[_name] += 1
            return _original(self, data)

        setattr(machine.CampaignMachine, name, counted)
    teardown = machine.CampaignMachine.teardown

    def counted_teardown(self: Any) -> None:
        events = self.executor.cluster.events if self.executor is not None else []
        if any(e["kind"] == "log-info-round" for e in events):
            used["recoveries"] += 1
        teardown(self)

    machine.CampaignMachine.teardown = counted_teardown  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    from replicheck.impl import ClusterConfig
    from replicheck.impl.config import eligible_leader_replicas, idempotent_producer
    from replicheck.stateful.runner import run_single

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="per seed")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=21)
    parser.add_argument("--elr-seeds", type=int, default=2)
    parser.add_argument("--only", action="append", help="run only configurations named so")
    out_default = ROOT / "benchmarks" / "results" / "soundness-configs.json"
    parser.add_argument("--out", type=Path, default=out_default)
    args = parser.parse_args(argv)
    used: Counter[str] = Counter()
    _count_actions(used)
    plan = [
        ("broker_epochs", ClusterConfig(broker_epochs=True), 2),
        ("default", ClusterConfig(), 1),
        ("idempotent, 3 threads", replace(idempotent_producer(ClusterConfig()), producer_threads=3), 1),
        ("at-least-once, 3 threads", ClusterConfig(retries=2**31 - 1, producer_threads=3), 1),
        ("elr", eligible_leader_replicas(ClusterConfig()), args.elr_seeds),
    ]
    if args.only:
        plan = [entry for entry in plan if entry[0] in args.only]
    rows = []
    seed = args.first_seed
    for name, config, seeds in plan:
        for _ in range(seeds):
            before = Counter(used)
            recoveries_before = used["recoveries"]
            started = time.process_time()
            single = run_single(config, seed, args.examples, args.steps, None)
            result = single.result
            row = {
                "config": name,
                "seed": seed,
                "examples": single.examples,
                "violation": result.anomaly_names if result is not None else [],
                "error": single.error,
                "cpu_s": round(time.process_time() - started, 1),
                "actions": {k.removeprefix("_do_"): used[k] - before[k] for k in ACTIONS},
                "unclean_recovery_examples": used["recoveries"] - recoveries_before,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            if result is not None:
                print(result.story(), flush=True)
            seed += 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if any(r["violation"] or r["error"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
