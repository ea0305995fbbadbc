"""Collect raw (unminimized) failing step lists for every zoo flaw, for bench_minimize.py.

Runs the default campaign (`run_single`, empty database) per flaw and seed with the
minimizer off, and caches each first failure's steps as one JSON file under
benchmarks/results/failures/<flaw>/<seed>.json (a seed that finds nothing is cached as
`"found": false`), so re-runs of the minimizer benchmark only minimize.

    PYTHONPATH=src python benchmarks/collect_failures.py --seeds 10 [--flaw NAME ...]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from replicheck.impl import ClusterConfig
from replicheck.impl.zoo import FLAWS
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, get_profile
from replicheck.stateful.runner import config_hash, resolve_config, run_single

CACHE = Path(__file__).parent / "results" / "failures"


def cache_path(flaw: str, seed: int, root: Path = CACHE) -> Path:
    return root / flaw / f"{seed}.json"


def collect(flaw: str, seed: int, max_examples: int, steps: int, root: Path = CACHE) -> dict:
    """The cached record of (flaw, seed), running the campaign first if it is missing."""
    path = cache_path(flaw, seed, root)
    if path.exists():
        return dict(json.loads(path.read_text()))
    config = resolve_config(ClusterConfig(), flaw)
    started = time.perf_counter()
    single = run_single(config, seed, max_examples, steps, None, polish_result=False)
    result = single.result
    record = {
        "flaw": flaw,
        "campaign_seed": seed,
        "config_hash": config_hash(config),
        "max_examples": max_examples,
        "found": result is not None,
        "examples": single.examples,
        "campaign_s": time.perf_counter() - started,
        "run_seed": result.seed if result is not None else None,
        # the run's own configuration: a campaign example may share one producer among
        # its clients (machine.shared_producer), which the flaw's configuration does not say
        "config": result.config.to_dict() if result is not None else None,
        "anomalies": result.anomaly_names if result is not None else [],
        "steps": [s.to_dict() for s in result.steps] if result is not None else [],  # type: ignore[union-attr]
        "error": single.error.splitlines()[-1] if single.error else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    return record


def main(argv: list[str] | None = None) -> int:
    budget = get_profile(DEFAULT_HUNT_PROFILE).campaign
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--flaw", action="append")
    parser.add_argument("--max-examples", type=int, default=budget.max_examples)
    parser.add_argument("--steps", type=int, default=budget.steps)
    args = parser.parse_args(argv)
    # seeds outermost: an interrupted collection still covers every flaw evenly
    for seed in range(args.first_seed, args.seeds):
        for flaw in args.flaw or list(FLAWS):
            rec = collect(flaw, seed, args.max_examples, args.steps)
            print(
                f"{flaw} seed {seed}: found={rec['found']} steps={len(rec['steps'])} "
                f"examples={rec['examples']} {rec['campaign_s']:.1f}s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
