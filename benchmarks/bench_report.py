"""Report benchmark: how long replay and report writing take, and how big the pages get.

For every saved regression case: the replay time (simulation + log checker) and the time
to write the report folder (case.json, history.jsonl, report.md, report.html). Then the
same for long synthetic scenarios on the correct configuration (a seeded mix of sends,
polls, ticks, crashes, restarts and partitions), to see how the writer scales with the
number of client operations.

    python benchmarks/bench_report.py                    # cases + 100/400/1600-step runs
    python benchmarks/bench_report.py --steps 100 --repeat 5

Prints a table and writes benchmarks/results/report.json. Wall-clock numbers belong here,
never in tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from replicheck.impl import ClusterConfig
from replicheck.report import write_report
from replicheck.report.case import case_config, case_steps, load_case
from replicheck.stateful.scenario import CLIENT_COUNT, Step, run_scenario

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "report.json"


def synthetic_steps(count: int, seed: int, broker_count: int = 3) -> list[Step]:
    """A seeded, valid mix of client ops and faults (crashed brokers are restarted)."""
    rng = random.Random(seed)
    steps: list[Step] = []
    down: set[int] = set()
    sent = 0
    for _ in range(count):
        roll = rng.random()
        if roll < 0.45:
            sent += 1
            process = rng.randrange(CLIENT_COUNT)
            steps.append(Step("send", {"process": process, "partition": 0, "message": f"m{sent}"}))
        elif roll < 0.6:
            process = rng.randrange(CLIENT_COUNT)
            offset = rng.randrange(max(1, sent))
            steps.append(Step("poll", {"process": process, "partition": 0, "offset": offset}))
        elif roll < 0.75:
            steps.append(Step("tick", {"ms": rng.choice([5, 20, 100, 300])}))
        elif roll < 0.85:
            up = [b for b in range(1, broker_count + 1) if b not in down]
            if len(up) > 1:
                broker = rng.choice(up)
                down.add(broker)
                steps.append(Step(rng.choice(["crash", "power-loss"]), {"broker": broker}))
        elif roll < 0.93 and down:
            broker = rng.choice(sorted(down))
            down.discard(broker)
            steps.append(Step("restart", {"broker": broker}))
        elif roll < 0.97:
            lonely = f"b{rng.randrange(1, broker_count + 1)}"
            others = [f"b{b}" for b in range(1, broker_count + 1) if f"b{b}" != lonely]
            steps.append(Step("partition", {"groups": [[lonely], others]}))
        else:
            steps.append(Step("heal", {}))
    return steps


def measure(label: str, run, repeat: int, scratch: Path) -> dict:
    replay_s, write_s = [], []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        replay_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        folder = write_report(result, scratch)
        write_s.append(time.perf_counter() - started)
    assert result is not None
    return {
        "run": label,
        "steps": len(result.steps),
        "ops": sum(1 for op in result.history if op["type"] == "invoke"),
        "events": len(result.events),
        "replay_ms": statistics.median(replay_s) * 1000,
        "write_ms": statistics.median(write_s) * 1000,
        "html_kb": (folder / "report.html").stat().st_size / 1024,
        "md_kb": (folder / "report.md").stat().st_size / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, action="append", help="synthetic run length")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median)")
    args = parser.parse_args(argv)
    lengths = args.steps or [100, 400, 1600]
    rows = []
    with tempfile.TemporaryDirectory(prefix="replicheck-bench-") as scratch:
        for path in sorted((ROOT / "tests" / "regressions").glob("*.case.json")):
            case = load_case(path)
            config, steps = case_config(case), case_steps(case)
            rows.append(
                measure(
                    path.name,
                    lambda c=config, s=case.seed, st=steps: run_scenario(c, s, st),
                    args.repeat,
                    Path(scratch),
                )
            )
        for length in lengths:
            steps = synthetic_steps(length, seed=length)
            rows.append(
                measure(
                    f"synthetic {length} steps",
                    lambda st=steps: run_scenario(ClusterConfig(), 1, st),
                    args.repeat,
                    Path(scratch),
                )
            )

    table = Table(title=f"report writing (median of {args.repeat})")
    for column in ("run", "steps", "ops", "events", "replay ms", "write ms", "html KiB", "md KiB"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for row in rows:
        table.add_row(
            row["run"],
            str(row["steps"]),
            str(row["ops"]),
            str(row["events"]),
            f"{row['replay_ms']:.0f}",
            f"{row['write_ms']:.0f}",
            f"{row['html_kb']:.0f}",
            f"{row['md_kb']:.0f}",
        )
    Console(width=120).print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"python": sys.version.split()[0], "machine": platform.machine(), "rows": rows},
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
