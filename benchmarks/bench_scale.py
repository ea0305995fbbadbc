"""Scale benchmark: examples/s with 1 and 2 local workers and on a 2-worker Dask
LocalCluster, and what one chunk costs beyond its examples.

All runs search the correct configuration (nothing is found, so every run spends its whole
budget) from an empty example database, in one process of this script, one after another,
so the ratios are measured under the same load.

    PYTHONPATH=src python benchmarks/bench_scale.py                 # 80 examples per run
    PYTHONPATH=src python benchmarks/bench_scale.py --examples 400 --steps 30

Rows:
- `runner, 1 worker` / `runner, 2 workers`: `run_campaign` as plain `hunt` runs it.
- `chunks, 1 process`: the same budget as a plan of `--chunk-examples`-sized chunks, run one
  after another in this process (`--chunks`).
- `chunks, 2 processes`: that plan on two spawned local processes (`--workers 2 --chunks`).
- `dask, 2 workers`: that plan on a `distributed.LocalCluster` of two worker processes
  (cluster start-up is timed separately, as a real cluster is already running).
- `overhead per chunk`: (time of N one-example chunks − time of one chunk of N examples) / N,
  with one-step examples, locally and on Dask: the fixed cost a chunk adds.

Prints a table and writes benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from replicheck.scale.campaign import ScaledCampaign, ScaleOptions, run_scaled_campaign
from replicheck.stateful.runner import CampaignResult, run_campaign

RESULTS = Path(__file__).parent / "results" / "scale.json"


def timed(run: Callable[[], CampaignResult]) -> dict[str, float]:
    started = time.perf_counter()
    campaign = run()
    elapsed_s = time.perf_counter() - started
    assert not campaign.found and campaign.error is None, "the correct configuration failed"
    return {
        "examples": campaign.examples,
        "elapsed_s": round(elapsed_s, 3),
        "examples_per_s": round(campaign.examples / elapsed_s, 3),
    }


def scaled(
    seed: int, examples: int, steps: int, chunks: int, workers: int = 1, dask: str | None = None
) -> ScaledCampaign:
    return run_scaled_campaign(
        ScaleOptions(chunks=chunks, dask=dask),
        seed=seed,
        max_examples=examples,
        steps=steps,
        workers=workers,
    )


def chunk_overhead_s(seed: int, chunks: int, dask: str | None = None) -> float:
    """(N one-example chunks − one N-example chunk) / N, one-step examples."""
    one = timed(lambda: scaled(seed, chunks, 1, 1, dask=dask))["elapsed_s"]
    many = timed(lambda: scaled(seed, chunks, 1, chunks, dask=dask))["elapsed_s"]
    return round((many - one) / chunks, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=80, help="examples per run")
    parser.add_argument("--steps", type=int, default=30, help="steps per example")
    parser.add_argument("--chunk-examples", type=int, default=10, help="examples per chunk")
    parser.add_argument("--overhead-chunks", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask rows")
    args = parser.parse_args()
    seed, examples, steps = args.seed, args.examples, args.steps
    chunks = max(1, examples // args.chunk_examples)
    rows: dict[str, dict[str, float]] = {}
    rows["runner, 1 worker"] = timed(
        lambda: run_campaign(seed=seed, max_examples=examples, steps=steps, database_dir=None)
    )
    rows["runner, 2 workers"] = timed(
        lambda: run_campaign(
            seed=seed, max_examples=examples, steps=steps, database_dir=None, workers=2
        )
    )
    rows["chunks, 1 process"] = timed(lambda: scaled(seed, examples, steps, chunks))
    rows["chunks, 2 processes"] = timed(lambda: scaled(seed, examples, steps, chunks, workers=2))
    overhead = {"local": chunk_overhead_s(seed, args.overhead_chunks)}
    cluster_start_s = None
    if not args.no_dask:
        from distributed import LocalCluster

        started = time.perf_counter()
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            cluster_start_s = round(time.perf_counter() - started, 3)
            address = str(cluster.scheduler_address)
            rows["dask, 2 workers"] = timed(
                lambda: scaled(seed, examples, steps, chunks, dask=address)
            )
            overhead["dask"] = chunk_overhead_s(seed, args.overhead_chunks, dask=address)
    base = rows["runner, 1 worker"]["examples_per_s"]
    for row in rows.values():
        row["speedup"] = round(row["examples_per_s"] / base, 2)
    print_table(rows, overhead, cluster_start_s, chunks, args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "examples": examples,
                "steps": steps,
                "chunks": chunks,
                "seed": seed,
                "rows": rows,
                "overhead_per_chunk_s": overhead,
                "dask_cluster_start_s": cluster_start_s,
                "cpus": os.cpu_count(),
                "load_avg_1m": os.getloadavg()[0],
                "python": platform.python_version(),
                "machine": platform.machine(),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


def print_table(
    rows: dict[str, dict[str, float]],
    overhead: dict[str, float],
    cluster_start_s: float | None,
    chunks: int,
    args: argparse.Namespace,
) -> None:
    table = Table(
        title=f"scale: {args.examples} examples × ≤{args.steps} steps, plan of {chunks} chunks "
        f"(correct configuration, seed {args.seed}, load {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs)"
    )
    for column in ("run", "examples", "elapsed s", "examples/s", "× 1 worker"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for name, row in rows.items():
        table.add_row(
            name,
            str(int(row["examples"])),
            f"{row['elapsed_s']:.1f}",
            f"{row['examples_per_s']:.2f}",
            f"{row['speedup']:.2f}",
        )
    console = Console()
    console.print(table)
    for where, seconds in overhead.items():
        console.print(f"overhead per chunk ({where}): {seconds * 1000:.1f} ms")
    if cluster_start_s is not None:
        console.print(f"LocalCluster start (2 worker processes): {cluster_start_s:.1f} s")


if __name__ == "__main__":
    main()
