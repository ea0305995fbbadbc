"""Linearizability checker benchmark: ops/s and growth with history size.

    python benchmarks/bench_linearizability.py            # default set, about 45 s
    python benchmarks/bench_linearizability.py --quick    # smaller sizes
    python benchmarks/bench_linearizability.py --full     # adds the 1M-op log history (~2 min)
    python benchmarks/bench_linearizability.py --write-histories DIR   # JSONL for Porcupine

Every history is generated (seeded, linearizable by construction: the checker must find a
linearization, the expensive answer) and then checked with `check_history`, which includes
pairing, model compilation, partitioning and the search — not file parsing. Times are CPU
seconds of this process (`time.process_time`), which shared machines disturb less than wall
time; a calibration loop is recorded alongside so runs on different machines can be compared.
Results: a table on stdout and `benchmarks/results/linearizability.json`.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from lin_histories import kv_history, log_history, register_history
from replicheck.checker.history import dump_jsonl
from replicheck.checker.linearizability import check_history
from replicheck.model import get_model

RESULTS = Path(__file__).resolve().parent / "results" / "linearizability.json"
TIMEOUT_S = 120.0


def cases(size: str) -> list[dict[str, Any]]:
    """(family, parameters, sizes). `size` is quick | default | full."""
    small = size == "quick"
    kv_sizes = [2_000, 8_000] if small else [4_000, 16_000]
    reg_sizes = [1_000, 4_000] if small else [2_000, 8_000]
    log_sizes = [10_000, 100_000] if small else [10_000, 100_000, 300_000]
    if size == "full":
        log_sizes.append(1_000_000)
    out: list[dict[str, Any]] = []
    for clients in (1, 10, 50):
        out.append(
            {
                "family": f"kv c={clients}",
                "model": "kv",
                "sizes": kv_sizes,
                "make": lambda n, c=clients: kv_history(7, n, c),
                "clients": clients,
            }
        )
    for clients, info in ((10, 0.1), (10, 0.3), (20, 0.3)):
        out.append(
            {
                "family": f"register c={clients} info={info:.0%}",
                "model": "register",
                "sizes": reg_sizes,
                "make": lambda n, c=clients, i=info: register_history(7, n, c, i),
                "clients": clients,
                "info_rate": info,
            }
        )
    out.append(
        {
            "family": "log c=10 p=8",
            "model": "log",
            "sizes": log_sizes,
            "make": lambda n: log_history(7, n, 10, 8),
            "clients": 10,
        }
    )
    out.append(
        {
            "family": "log c=50 p=4 info=5%",
            "model": "log",
            "sizes": log_sizes[:2],
            "make": lambda n: log_history(7, n, 50, 4, 0.05),
            "clients": 50,
            "info_rate": 0.05,
        }
    )
    return out


def calibrate() -> float:
    """CPU seconds for a fixed pure-Python loop (dict building), to compare machines."""
    start = time.process_time()
    for _ in range(5):
        [{"a": i} for i in range(200_000)]
    return time.process_time() - start


def measure(model_name: str, history: list[dict]) -> dict[str, Any]:
    ops = sum(1 for op in history if op["type"] == "invoke")
    gc.collect()
    start = time.process_time()
    verdict = check_history(get_model(model_name), history, timeout_s=TIMEOUT_S)
    cpu_s = time.process_time() - start
    return {
        "ops": ops,
        "valid": "unknown" if verdict.valid is None else verdict.valid,
        "cpu_s": round(cpu_s, 4),
        "ops_per_s": round(ops / cpu_s) if cpu_s > 0 else None,
        "partitions": len(verdict.partitions),
        "steps": sum(p.steps for p in verdict.partitions),
        "configurations": sum(p.configurations for p in verdict.partitions),
        "info_ops": sum(1 for op in history if op["type"] == "info"),
        "dropped_calls": verdict.dropped_calls,
    }


def growth_exponent(rows: list[dict[str, Any]], what: str = "cpu_s") -> float | None:
    """Slope of log(`what`) against log(size) between the smallest and largest run.

    Search steps grow like the work done and, unlike CPU time on a shared machine, do not
    jitter; both are reported."""
    if len(rows) < 2 or rows[0][what] <= 0 or rows[-1][what] <= 0:
        return None
    a, b = rows[0], rows[-1]
    return round(math.log(b[what] / a[what]) / math.log(b["ops"] / a["ops"]), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="smaller sizes")
    group.add_argument("--full", action="store_true", help="add the 1M-op log history")
    parser.add_argument("--write-histories", type=Path, metavar="DIR", help="save JSONL here")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON path")
    args = parser.parse_args()
    size = "quick" if args.quick else "full" if args.full else "default"

    calibration_s = calibrate()
    print(f"calibration loop: {calibration_s:.3f} CPU s (lower is a faster machine)")
    header = (
        f"{'family':<26} {'ops':>9} {'parts':>5} {'valid':>7} {'cpu s':>8} "
        f"{'ops/s':>9} {'steps':>10} {'configs':>10}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for case in cases(size):
        rows = []
        for n in case["sizes"]:
            history = case["make"](n)
            if args.write_histories:
                args.write_histories.mkdir(parents=True, exist_ok=True)
                name = case["family"].replace(" ", "_").replace("=", "").replace("%", "pct")
                dump_jsonl(history, args.write_histories / f"{name}_{n}.jsonl")
            row = measure(case["model"], history)
            del history
            rows.append(row)
            print(
                f"{case['family']:<26} {row['ops']:>9} {row['partitions']:>5} "
                f"{row['valid']!s:>7} {row['cpu_s']:>8.3f} {row['ops_per_s'] or 0:>9} "
                f"{row['steps']:>10} {row['configurations']:>10}",
                flush=True,
            )
        exponent = growth_exponent(rows)
        steps_exponent = growth_exponent(rows, "steps")
        if exponent is not None:
            print(
                f"{'':<26} over this range: time ~ size^{exponent}, "
                f"steps ~ size^{steps_exponent}"
            )
        results.append(
            {
                "family": case["family"],
                "model": case["model"],
                "clients": case["clients"],
                "info_rate": case.get("info_rate", 0.0),
                "runs": rows,
                "growth_exponent": exponent,
                "steps_growth_exponent": steps_exponent,
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "linearizability",
                "size": size,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "calibration_cpu_s": round(calibration_s, 4),
                "timeout_s": TIMEOUT_S,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
