"""Campaign benchmark: how fast does `replicheck hunt` find each flaw, and how short is the story?

Per flaw in the zoo, over N seeds from an empty example database (one process, one core):
time to detect (wall clock and CPU seconds of this process until the first failing example;
median and max), examples until then, the total time including shrinking, and the length of
the minimized scenario. On the correct configuration: examples/s and steps/s, by wall clock
and by CPU seconds. On a shared machine the CPU seconds are the honest figure: wall clock
includes the time other processes held the core.

    PYTHONPATH=src python benchmarks/bench_campaign.py     # 10 seeds per flaw, dev budget
    PYTHONPATH=src python benchmarks/bench_campaign.py --seeds 3 --flaw acks-one

Prints a table and writes benchmarks/results/campaign.json. Wall-clock numbers belong
here, never in tests.
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

from rich.console import Console
from rich.table import Table

from replicheck.impl import ClusterConfig
from replicheck.impl.config import idempotent_producer
from replicheck.impl.zoo import FLAWS
from replicheck.stateful.machine import Sink
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, get_profile
from replicheck.stateful.runner import resolve_config, run_single

RESULTS = Path(__file__).parent / "results" / "campaign.json"


def _cpu_to_detect(
    config: ClusterConfig, seed: int, max_examples: int, steps: int, polish: bool = True
):
    """`run_single`, and the CPU seconds of this process until the first failing example
    (None if none failed): read in the per-example callback, as the wall clock is."""
    cpu_started = time.process_time()
    detect_cpu: list[float] = []

    def on_example(sink: Sink, _elapsed_s: float) -> None:
        if sink.failures and not detect_cpu:
            detect_cpu.append(time.process_time() - cpu_started)

    single = run_single(config, seed, max_examples, steps, None, on_example, polish_result=polish)
    return single, (detect_cpu[0] if detect_cpu else None)


def bench_flaw(
    name: str, seeds: list[int], max_examples: int, steps: int, polish: bool = True
) -> dict:
    config = resolve_config(ClusterConfig(), name)
    runs = []
    for seed in seeds:
        started = time.perf_counter()
        single, detect_cpu_s = _cpu_to_detect(config, seed, max_examples, steps, polish)
        total_s = time.perf_counter() - started
        result = single.result
        runs.append(
            {
                "seed": seed,
                "found": result is not None,
                "detect_s": single.first_failure_s,
                "detect_cpu_s": detect_cpu_s,
                "examples_to_detect": single.first_failure_example,
                "total_s": total_s,
                "shrink_runs": single.shrink_runs,
                "hypothesis_steps": single.hypothesis_steps,
                "steps": len(result.steps) if result is not None else None,
                "anomalies": result.anomaly_names if result is not None else [],
                "error": single.error.splitlines()[-1] if single.error else None,
                "story": result.story() if result is not None else None,
            }
        )
    found = [r for r in runs if r["found"]]
    detect = [r["detect_s"] for r in found]
    cpu = [r["detect_cpu_s"] for r in found if r["detect_cpu_s"] is not None]
    lengths = [r["steps"] for r in found]
    return {
        "flaw": name,
        "seeds": len(seeds),
        "found": len(found),
        "detect_median_s": statistics.median(detect) if detect else None,
        "detect_max_s": max(detect) if detect else None,
        "detect_cpu_median_s": statistics.median(cpu) if cpu else None,
        "detect_cpu_max_s": max(cpu) if cpu else None,
        "examples_median": statistics.median(r["examples_to_detect"] for r in found)
        if found
        else None,
        "examples_max": max(r["examples_to_detect"] for r in found) if found else None,
        "total_median_s": statistics.median(r["total_s"] for r in found) if found else None,
        "steps_median": statistics.median(lengths) if lengths else None,
        "steps_min": min(lengths) if lengths else None,
        "steps_max": max(lengths) if lengths else None,
        "runs": runs,
    }


def bench_correct(max_examples: int, steps: int, seed: int,
                  config: ClusterConfig | None = None) -> dict:
    started = time.perf_counter()
    cpu_started = time.process_time()
    single = run_single(config or ClusterConfig(), seed, max_examples, steps, None)
    elapsed = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    return {
        "examples": single.examples,
        "steps": single.steps,
        "elapsed_s": elapsed,
        "cpu_s": cpu_s,
        "examples_per_s": single.examples / elapsed,
        "examples_per_cpu_s": single.examples / cpu_s,
        "steps_per_s": single.steps / elapsed,
        "violation": single.result is not None or single.error is not None,
    }


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


def main(argv: list[str] | None = None) -> int:
    budget = get_profile(DEFAULT_HUNT_PROFILE).campaign
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per flaw (default 10)")
    parser.add_argument("--flaw", action="append", help="only these flaws (repeatable)")
    parser.add_argument("--max-examples", type=int, default=budget.max_examples)
    parser.add_argument("--steps", type=int, default=budget.steps)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed, +1, ...")
    parser.add_argument("--correct-examples", type=int, default=300,
                        help="examples on each correct configuration (0: skip them)")
    parser.add_argument("--no-minimize", action="store_true",
                        help="skip minimizing found stories (time to detect only; the "
                        "steps columns are then the unminimized lengths)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    console = Console()
    names = args.flaw or sorted(FLAWS)
    unknown = [n for n in names if n not in FLAWS]
    if unknown:
        console.print(f"unknown flaw(s): {', '.join(unknown)}; the zoo has {', '.join(FLAWS)}")
        return 2
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    load_before = os.getloadavg()
    flaws = []
    for name in names:
        console.print(f"[dim]benchmarking {name} over {len(seeds)} seeds…[/]")
        row = bench_flaw(name, seeds, args.max_examples, args.steps, not args.no_minimize)
        flaws.append(row)
        console.print(
            f"  {name}: found {row['found']}/{row['seeds']}, detect median "
            f"{_fmt(row['detect_median_s'], ' s')}, max {_fmt(row['detect_max_s'], ' s')}, "
            f"CPU median {_fmt(row['detect_cpu_median_s'], ' s')}, "
            f"max {_fmt(row['detect_cpu_max_s'], ' s')}, "
            f"examples median {_fmt(row['examples_median'])}, max {_fmt(row['examples_max'])}, "
            f"seeds {[r['examples_to_detect'] for r in row['runs']]}, steps "
            f"{_fmt(row['steps_min'])}–{_fmt(row['steps_max'])}"
        )
    correct: dict | None = None
    idempotent: dict | None = None
    if args.correct_examples > 0:
        console.print("[dim]benchmarking the correct configurations…[/]")
        correct = bench_correct(args.correct_examples, args.steps, seed=0)
        idempotent = bench_correct(args.correct_examples, args.steps, seed=0,
                                   config=idempotent_producer(ClusterConfig()))

    table = Table(title=f"time to detect per flaw ({len(seeds)} seeds, empty database)")
    for column in (
        "flaw",
        "found",
        "detect median",
        "detect max",
        "CPU s median",
        "CPU s max",
        "examples (median)",
        "examples (max)",
        "incl. shrink (median)",
        "steps median",
        "steps min–max",
    ):
        table.add_column(column, justify="left" if column == "flaw" else "right")
    for row in flaws:
        table.add_row(
            row["flaw"],
            f"{row['found']}/{row['seeds']}",
            _fmt(row["detect_median_s"], " s"),
            _fmt(row["detect_max_s"], " s"),
            _fmt(row["detect_cpu_median_s"], " s"),
            _fmt(row["detect_cpu_max_s"], " s"),
            _fmt(row["examples_median"]),
            _fmt(row["examples_max"]),
            _fmt(row["total_median_s"], " s"),
            _fmt(row["steps_median"]),
            f"{_fmt(row['steps_min'])}–{_fmt(row['steps_max'])}",
        )
    console.print(table)
    if correct is not None and idempotent is not None:
        _print_correct(console, correct, idempotent)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "max_examples": args.max_examples,
                "steps": args.steps,
                "seeds": seeds,
                "minimized": not args.no_minimize,
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
                "flaws": flaws,
                "correct": correct,
                "correct_idempotent": idempotent,
            },
            indent=2,
        )
    )
    console.print(f"wrote {args.out}")
    missed = [row["flaw"] for row in flaws if row["found"] < row["seeds"]]
    violation = any(c is not None and c["violation"] for c in (correct, idempotent))
    return 1 if missed or violation else 0


def _print_correct(console: Console, correct: dict, idempotent: dict) -> None:
    console.print(
        f"correct configuration: {correct['examples']} examples, {correct['steps']} steps in "
        f"{correct['elapsed_s']:.1f} s → {correct['examples_per_s']:.1f} examples/s, "
        f"{correct['steps_per_s']:.0f} steps/s; {correct['cpu_s']:.1f} CPU s → "
        f"{correct['examples_per_cpu_s']:.1f} examples per CPU s"
        + (" [red](VIOLATION!)[/]" if correct["violation"] else "")
    )
    console.print(
        f"idempotent producer: {idempotent['examples']} examples in "
        f"{idempotent['elapsed_s']:.1f} s → {idempotent['examples_per_s']:.1f} examples/s; "
        f"{idempotent['examples_per_cpu_s']:.1f} examples per CPU s"
        + (" [red](VIOLATION!)[/]" if idempotent["violation"] else "")
    )


if __name__ == "__main__":
    raise SystemExit(main())
