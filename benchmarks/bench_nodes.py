"""Node-harness benchmark: how fast does the standalone search drive real node processes,
and how soon does it find each deliberately wrong example node?

- throughput: examples/s and steps/s of `replicheck.nodes.search.hunt` against the shipped
  Python nodes (1 and 3 nodes, 20 steps, no faults and the default network faults), and
  the ratio with/without launching the next example's nodes early (`Runner.prestart`);
- time to detect each wrong variant over N seeds (median and max, examples until then),
  then, on a few seeds, the minimized length and how often it reproduces.

    PYTHONPATH=src python benchmarks/bench_nodes.py              # 10 seeds per variant
    PYTHONPATH=src python benchmarks/bench_nodes.py --seeds 3 --examples 10

Prints a table and writes benchmarks/results/nodes.json. Node processes are real, so these
figures depend on the machine and its load (they say so in the JSON: platform, cpu count).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from rich.console import Console
from rich.table import Table

from replicheck.nodes.search import DEFAULT_FAULTS, Runner, hunt, step_lists

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "nodes.json"
WRONG = {"log_uncoordinated": 3, "log_local_commits": 3, "log_lwwkv": 1}


def command(name: str) -> list[str]:
    return [sys.executable, str(ROOT / "examples" / "nodes" / f"{name}.py")]


def throughput(
    name: str, node_count: int, faults: tuple[str, ...], examples: int, steps: int
) -> dict:
    result = hunt(
        command(name), node_count, faults=faults, max_examples=examples, max_steps=steps, seed=0
    )
    assert result.found is None, f"{name} flagged: {result.anomalies}"
    return {
        "node": name,
        "nodes": node_count,
        "faults": list(faults) or ["none"],
        "examples": result.examples,
        "steps": result.steps_run,
        "elapsed_s": result.elapsed_s,
        "examples_per_s": result.examples / result.elapsed_s,
        "steps_per_s": result.steps_run / result.elapsed_s,
    }


def prestart_ratio(examples: int, steps: int, rounds: int = 3) -> dict:
    """The same step lists with and without launching the next run's nodes early,
    alternating so that both see the same machine load."""
    lists: list = []

    @settings(
        max_examples=examples,
        database=None,
        phases=[Phase.generate],
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(step_lists(3, (), steps))
    def collect(generated: list) -> None:
        lists.append(generated)

    collect()
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(rounds):
        for prestart in (False, True):
            with Runner(command("log_linkv"), 3, prestart=prestart) as runner:
                started = time.perf_counter()
                for generated in lists:
                    runner.run(generated)
                rates[prestart].append(len(lists) / (time.perf_counter() - started))
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    return {
        "examples": len(lists),
        "rounds": rounds,
        "off_examples_per_s": off,
        "on_examples_per_s": on,
        "ratio": on / off,
    }


def detection(
    name: str, node_count: int, seeds: int, minimize_seeds: int, examples: int, steps: int
) -> dict:
    runs = []
    for seed in range(seeds):
        minimize = seed < minimize_seeds
        result = hunt(
            command(name),
            node_count,
            faults=(),
            max_examples=examples,
            max_steps=steps,
            seed=seed,
            minimize_runs=3 if minimize else 0,
            replay_runs=10 if minimize else 0,
        )
        runs.append(
            {
                "seed": seed,
                "found": result.found is not None,
                "detect_s": result.detect_s,
                "examples_to_detect": result.examples if result.found else None,
                "anomalies": result.anomalies,
                "total_s": result.elapsed_s,
                "minimized_steps": len(result.minimized) if minimize and result.found else None,
                "reproduced": list(result.reproduced) if minimize and result.found else None,
            }
        )
    found = [r for r in runs if r["found"]]
    detect = [r["detect_s"] for r in found]
    return {
        "node": name,
        "nodes": node_count,
        "seeds": seeds,
        "found": len(found),
        "detect_median_s": statistics.median(detect) if detect else None,
        "detect_max_s": max(detect) if detect else None,
        "examples_median": statistics.median(r["examples_to_detect"] for r in found)
        if found
        else None,
        "minimized_steps": [r["minimized_steps"] for r in runs if r["minimized_steps"] is not None],
        "reproduced": [r["reproduced"] for r in runs if r["reproduced"] is not None],
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--minimize-seeds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=20, help="examples per throughput run")
    parser.add_argument(
        "--detect-examples", type=int, default=100, help="example budget per detection run"
    )
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    console = Console()
    load_start = os.getloadavg()
    console.print(f"load average at start: {load_start[0]:.1f} on {os.cpu_count()} cpus")

    rows = [
        throughput(name, n, faults, args.examples, args.steps)
        for name, n, faults in (
            ("log_single", 1, ()),
            ("log_linkv", 1, ()),
            ("log_linkv", 3, ()),
            ("log_linkv", 3, DEFAULT_FAULTS),
        )
    ]
    table = Table(title=f"search throughput ({args.steps} steps max per example)")
    for col in ("node", "nodes", "faults", "examples", "steps", "examples/s", "steps/s"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r["node"],
            str(r["nodes"]),
            ",".join(r["faults"]),
            str(r["examples"]),
            str(r["steps"]),
            f"{r['examples_per_s']:.1f}",
            f"{r['steps_per_s']:.0f}",
        )
    console.print(table)

    ratio = prestart_ratio(args.examples, args.steps)
    console.print(
        f"prestart (3 log_linkv nodes, same {ratio['examples']} step lists, median of "
        f"{ratio['rounds']} alternating rounds): off {ratio['off_examples_per_s']:.2f} ex/s, "
        f"on {ratio['on_examples_per_s']:.2f} ex/s, ratio {ratio['ratio']:.2f}"
    )

    found = [
        detection(name, n, args.seeds, args.minimize_seeds, args.detect_examples, args.steps)
        for name, n in WRONG.items()
    ]
    table = Table(
        title=f"time to detect, {args.seeds} seeds, no faults, ≤ {args.detect_examples} examples"
    )
    for col in (
        "node",
        "found",
        "median s",
        "max s",
        "median examples",
        "minimized steps",
        "reproduced",
    ):
        table.add_column(col, justify="right")
    for r in found:
        table.add_row(
            r["node"],
            f"{r['found']}/{r['seeds']}",
            _s(r["detect_median_s"]),
            _s(r["detect_max_s"]),
            str(r["examples_median"]),
            ",".join(map(str, r["minimized_steps"])),
            ",".join(f"{a}/{b}" for a, b in r["reproduced"]),
        )
    console.print(table)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "load_avg_start": load_start,
                "load_avg_end": os.getloadavg(),
                "args": vars(args),
                "throughput": rows,
                "prestart": ratio,
                "detection": found,
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()
