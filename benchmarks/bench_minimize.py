"""Minimizer benchmark: how short are the minimized stories, and what does minimizing cost?

For every zoo flaw and campaign seed, takes the raw (unminimized) first failing step list
cached by benchmarks/collect_failures.py (running the campaign first if the cache lacks
it), replays it, and minimizes it twice in this one process: with the minimizer of a
baseline commit (its minimize.py, shrink_moves.py and shrink_rewrite.py loaded from git;
default bf7728e, main before re-finds) and with the current one, followed by the re-finds
the campaign runs when the story stays long (stateful/refind.py; `--no-refind` leaves them
out). Per flaw: shrunk length min/median/max against the shortest reproduction known, how
many seeds end within 2 steps of it, cluster runs (replays, and the re-finds' search
examples) and CPU time per failure (median/max). Prints a table and writes
benchmarks/results/minimize.json.

    PYTHONPATH=src python benchmarks/bench_minimize.py              # 10 seeds per flaw
    PYTHONPATH=src python benchmarks/bench_minimize.py --cached-only --flaw acks-one
    PYTHONPATH=src python benchmarks/bench_minimize.py --case acks-one:2 --case lazy-truncation:9
    PYTHONPATH=src python benchmarks/bench_minimize.py --merge a.json b.json --markdown

CPU time (`time.process_time`) rather than wall clock: the benchmark machine is shared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import types
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from collect_failures import CACHE, cache_path, collect
from replicheck.impl import ClusterConfig
from replicheck.impl.zoo import FLAWS
from replicheck.stateful.machine import shared_producer
from replicheck.stateful.minimize import polish_with_stats
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, get_profile
from replicheck.stateful.refind import shortest_of_refinds
from replicheck.stateful.result import RunResult
from replicheck.stateful.runner import refind_search, resolve_config
from replicheck.stateful.scenario import run_scenario
from replicheck.stateful.steps import CLIENT_COUNT, Step

RESULTS = Path(__file__).parent / "results" / "minimize.json"
MINIMIZER_PATH = "src/replicheck/stateful/minimize.py"
MOVES_PATH = "src/replicheck/stateful/shrink_moves.py"
REWRITE_PATH = "src/replicheck/stateful/shrink_rewrite.py"

#: shortest reproduction known per flaw (docs/hunt.md, "Shortest known reproductions"; a
#: shorter story either minimizer produces here lowers it in the table)
KNOWN_SHORTEST = {
    "acks-one": 3,
    "consumer-reads-past-hw": 6,
    "dedup-state-lost-on-failover": 2,
    "elect-any-replica": 3,
    "epoch-cache-not-cleaned": 4,  # round shrink6r (was 5)
    "epoch-truncation-without-kip279": 6,  # round shrink6c (was 7)
    "hw-before-isr-ack": 2,
    "hw-over-committed-isr": 4,
    "ignore-min-isr": 4,
    "isr-expand-before-epoch-start": 3,
    "last-replica-standing": 4,
    "lazy-truncation": 8,
    "no-fetch-fencing": 8,
    "no-fsync": 2,
    "no-idempotent-dedup": 2,
    "no-truncation-same-leader": 8,
    "rebooted-broker-stays-in-isr": 2,
    "stale-broker-epoch-joins-isr": 4,
    "stale-fetch-expands-isr": 8,
    "truncate-to-hw": 2,
    "unclean-election": 4,
}


def _source_at(rev: str, path: str) -> str | None:
    """The text of `path` at `rev`, or None if it did not exist there."""
    root = Path(__file__).resolve().parent.parent
    shown = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, text=True
    )
    return shown.stdout if shown.returncode == 0 else None


def _module_at(
    rev: str, path: str, name: str, moves: types.ModuleType | None = None
) -> types.ModuleType:
    """The module at `path` as it was at `rev`, imported under `name` (with `moves` standing
    in for `replicheck.stateful.shrink_moves` while its imports run)."""
    source = _source_at(rev, path)
    assert source is not None, f"{path} does not exist at {rev}"
    module = types.ModuleType(name)
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    current = sys.modules["replicheck.stateful.shrink_moves"]
    if moves is not None:
        sys.modules["replicheck.stateful.shrink_moves"] = moves
    try:
        exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)
    finally:
        sys.modules["replicheck.stateful.shrink_moves"] = current
    return module


def load_baseline(rev: str) -> types.ModuleType:
    """The minimizer as it was at `rev`, with the candidate moves and rewrites of the same
    commit (the current ones may have moved on), imported under other names."""
    old_moves = _module_at(rev, MOVES_PATH, "baseline_shrink_moves")
    module = _module_at(rev, MINIMIZER_PATH, "baseline_minimize")
    module.moves = old_moves  # `from replicheck.stateful import shrink_moves as moves`
    if _source_at(rev, REWRITE_PATH) is not None:
        module.rewrite = _module_at(rev, REWRITE_PATH, "baseline_shrink_rewrite", old_moves)
    return module


def record_configs(record: dict[str, Any]) -> list[ClusterConfig]:
    """The configurations a cached failure may have run under: its own when recorded, else
    the flaw's, alone or with one producer shared by the clients (older records do not say
    which; the one that reproduces the recorded verdict is the one)."""
    if record.get("config"):
        return [ClusterConfig.from_dict(record["config"])]
    config = resolve_config(ClusterConfig(), record["flaw"])
    return [config, shared_producer(config, CLIENT_COUNT)]


def replay_record(record: dict[str, Any]) -> RunResult:
    steps = [Step.from_dict(s) for s in record["steps"]]
    for config in record_configs(record):
        result = run_scenario(config, record["run_seed"], steps)
        if result.violation and result.anomaly_names == record["anomalies"]:
            return result
    raise AssertionError(f"{record['flaw']} seed {record['campaign_seed']} does not replay")


def fails_without_flags(best: RunResult) -> bool:
    """Does the minimized story fail with the flaws' flags cleared too (then it is no
    evidence of the flaw: a loss the fault model allows, or a defect of the correct
    implementation)? Not measured: False when the configuration has no flag."""
    if not best.config.flaws:
        return False
    return run_scenario(replace(best.config, flaws=frozenset()), best.seed, best.steps).violation


def minimize_old(baseline: types.ModuleType, result: RunResult) -> dict[str, Any]:
    started = time.process_time()
    minimizer = baseline._Minimizer(result, getattr(baseline, "DEFAULT_MAX_RUNS", 600))
    best = minimizer.run()
    cpu_s = time.process_time() - started
    return {"steps": len(best.steps), "runs": minimizer.runs, "cpu_s": cpu_s,
            "fails_without_flags": fails_without_flags(best),
            "story": [s.to_dict() for s in best.steps]}  # fmt: skip


def minimize_new(result: RunResult, record: dict[str, Any], args: Any) -> dict[str, Any]:
    """The current minimizer, then (unless `--no-refind`) the re-finds of a run whose
    story stayed long (stateful/refind.py: searches of the record's flaw from seeds derived
    from its campaign seed, with its example budget); `runs` counts every cluster run."""
    started = time.process_time()
    polished, stats = polish_with_stats(result)
    best, refinds = polished, ()
    if not args.no_refind:
        config = resolve_config(ClusterConfig(), record["flaw"])
        search = refind_search(config, record["max_examples"], args.steps)
        best, refinds = shortest_of_refinds(polished, stats, record["campaign_seed"], search)
    cpu_s = time.process_time() - started
    return {
        "steps": len(best.steps),
        "polished_steps": len(polished.steps),
        "refinds": [asdict(r) for r in refinds],
        "runs": stats.runs + sum(r.cost_runs for r in refinds),
        "cached": stats.cached,
        "exhausted": stats.exhausted,
        "adopted": stats.adopted,
        "spent": stats.spent,
        "flaw_needed": stats.flaw_needed,
        "chosen": stats.chosen,
        "routes": [
            {"name": r.name, "end_steps": r.end_steps, "runs": r.runs} for r in stats.routes
        ],
        "cpu_s": cpu_s,
        "fails_without_flags": fails_without_flags(best),
        "story": [s.to_dict() for s in best.steps],
    }


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"min": None, "median": None, "max": None}
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def bench_flaw(flaw: str, seeds: list[int], baseline: types.ModuleType, args: Any) -> dict:
    runs = []
    for seed in seeds:
        if args.case and f"{flaw}:{seed}" not in args.case:
            continue
        if args.cached_only and not cache_path(flaw, seed).exists():
            continue
        record = collect(flaw, seed, args.max_examples, args.steps)
        if not record["found"]:
            runs.append({"seed": seed, "found": False})
            continue
        result = replay_record(record)
        old, new = minimize_old(baseline, result), minimize_new(result, record, args)
        runs.append({"seed": seed, "found": True, "raw_steps": len(result.steps),
                     "anomalies": result.anomaly_names, "old": old, "new": new})  # fmt: skip
    found = [r for r in runs if r["found"]]
    row: dict[str, Any] = {"flaw": flaw, "collected": len(runs), "found": len(found)}
    for side in ("old", "new"):
        row[side] = {
            "steps": summary([r[side]["steps"] for r in found]),
            "runs": summary([r[side]["runs"] for r in found]),
            "cpu_s": summary([r[side]["cpu_s"] for r in found]),
            "fails_without_flags": sum(r[side]["fails_without_flags"] for r in found),
        }
    row["runs"] = runs
    return row


def with_known(rows: list[dict]) -> None:
    """Fill each row's known shortest (the table's, or the best story seen) and the
    number of seeds whose story ends within 2 steps of it."""
    for row in rows:
        found = [r for r in row["runs"] if r["found"]]
        # a story that fails with the flaw's flag cleared is no evidence of the flaw, so it
        # lowers the known shortest only where the story as found fails so too
        lengths = [
            r[side]["steps"]
            for r in found
            for side in ("old", "new")
            if not r[side]["fails_without_flags"] or r["new"]["flaw_needed"] is not True
        ]
        best_seen = min(lengths, default=None)
        known = KNOWN_SHORTEST.get(row["flaw"], best_seen)
        if known is not None and best_seen is not None:
            known = min(known, best_seen)
        row["known_shortest"] = known
        row["known_from"] = "docs/hunt.md" if row["flaw"] in KNOWN_SHORTEST else "this benchmark"
        for side in ("old", "new"):
            row[side]["within_2"] = (
                sum(r[side]["steps"] <= known + 2 for r in found) if known is not None else 0
            )


def _fmt(stats: dict[str, float | None], digits: int = 0) -> str:
    if stats["median"] is None:
        return "–"
    f = f"{{:.{digits}f}}"
    return f"{f.format(stats['min'])}–{f.format(stats['median'])}–{f.format(stats['max'])}"


def _med_max(stats: dict[str, float | None], digits: int) -> str:
    assert stats["median"] is not None and stats["max"] is not None
    return f"{stats['median']:.{digits}f} ({stats['max']:.{digits}f})"


def print_table(console: Console, rows: list[dict]) -> None:
    table = Table(title="minimized story length: min–median–max (baseline → current)")
    for column in ("flaw", "seeds", "known", "old steps", "new steps", "old ≤known+2",
                   "new ≤known+2", "old replays", "new replays", "old CPU s",
                   "new CPU s"):  # fmt: skip
        table.add_column(column, justify="left" if column == "flaw" else "right")
    for row in rows:
        table.add_row(
            row["flaw"],
            f"{row['found']}/{row['collected']}",
            str(row["known_shortest"] if row["known_shortest"] is not None else "–"),
            _fmt(row["old"]["steps"]),
            _fmt(row["new"]["steps"]),
            f"{row['old']['within_2']}/{row['found']}",
            f"{row['new']['within_2']}/{row['found']}",
            _fmt(row["old"]["runs"]),
            _fmt(row["new"]["runs"]),
            _fmt(row["old"]["cpu_s"], 2),
            _fmt(row["new"]["cpu_s"], 2),
        )
    console.print(table)


def markdown_table(rows: list[dict]) -> str:
    """The table as docs/hunt.md shows it."""
    lines = [
        "| flaw | failures | known shortest | old steps min–med–max | new steps min–med–max "
        "| old ≤ known+2 | new ≤ known+2 | old / new replays med (max) "
        "| old / new CPU s med (max) | old / new fail without the flag |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        new = row["new"]
        if not row["found"]:
            lines.append(f"| `{row['flaw']}` | 0/{row['collected']} | {row['known_shortest']} "
                         "| – | – | – | – | – | – | – |")  # fmt: skip
            continue
        lines.append(
            f"| `{row['flaw']}` | {row['found']}/{row['collected']} | {row['known_shortest']}"
            f"{'' if row['known_from'] == 'docs/hunt.md' else '*'} | {_fmt(row['old']['steps'])} "
            f"| {_fmt(new['steps'])} | {row['old']['within_2']}/{row['found']} "
            f"| {new['within_2']}/{row['found']} | {_med_max(row['old']['runs'], 0)} / "
            f"{_med_max(new['runs'], 0)} | {_med_max(row['old']['cpu_s'], 2)} / "
            f"{_med_max(new['cpu_s'], 2)} | {row['old']['fails_without_flags']} / "
            f"{new['fails_without_flags']} |"
        )
    return "\n".join(lines)


def totals(rows: list[dict]) -> dict[str, Any]:
    found = [r for row in rows for r in row["runs"] if r["found"]]
    out: dict[str, Any] = {"failures": len(found)}
    for side in ("old", "new"):
        out[side] = {
            "within_2": sum(row[side]["within_2"] for row in rows),
            "runs": summary([r[side]["runs"] for r in found]),
            "cpu_s": summary([r[side]["cpu_s"] for r in found]),
            "total_cpu_s": sum(r[side]["cpu_s"] for r in found),
            "fails_without_flags": sum(r[side]["fails_without_flags"] for r in found),
        }
    for field in ("adopted", "spent"):
        per_pass: dict[str, int] = {}
        for r in found:
            for name, count in r["new"][field].items():
                per_pass[name] = per_pass.get(name, 0) + count
        out["new"][field] = per_pass
    return out


def merged_rows(paths: list[Path]) -> list[dict]:
    """The per-flaw rows of several --out files, by flaw (each flaw from one file only)."""
    rows: dict[str, dict] = {}
    for path in paths:
        for row in json.loads(path.read_text())["flaws"]:
            assert row["flaw"] not in rows, f"{row['flaw']} is in more than one file"
            rows[row["flaw"]] = row
    return [rows[name] for name in sorted(rows)]


def main(argv: list[str] | None = None) -> int:
    budget = get_profile(DEFAULT_HUNT_PROFILE).campaign
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="campaign seeds per flaw")
    parser.add_argument("--flaw", action="append", help="only these flaws (repeatable)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--case", action="append", metavar="FLAW:SEED",
                        help="only these failures (repeatable; implies their flaws)")  # fmt: skip
    parser.add_argument("--baseline", default="bf7728e", help="git rev of the old minimizer")
    parser.add_argument("--no-refind", action="store_true",
                        help="the current minimizer alone, without re-finds")  # fmt: skip
    parser.add_argument("--cached-only", action="store_true",
                        help=f"only failures already cached under {CACHE}")  # fmt: skip
    parser.add_argument("--max-examples", type=int, default=budget.max_examples)
    parser.add_argument("--steps", type=int, default=budget.steps)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument("--merge", type=Path, nargs="+", metavar="JSON",
                        help="only report: the rows of earlier runs' --out files (runs split "
                        "by --flaw over several cores), together")  # fmt: skip
    args = parser.parse_args(argv)
    console = Console(width=200)
    if args.merge:
        rows = merged_rows(args.merge)
    else:
        names = args.flaw or sorted({c.split(":")[0] for c in args.case or []}) or sorted(FLAWS)
        unknown = [n for n in names if n not in FLAWS]
        if unknown:
            console.print(f"unknown flaw(s): {', '.join(unknown)}")
            return 2
        baseline = load_baseline(args.baseline)
        rows = []
        for name in names:
            seeds = list(range(args.first_seed, args.first_seed + args.seeds))
            rows.append(bench_flaw(name, seeds, baseline, args))
            console.print(f"[dim]{name}: {rows[-1]['found']} failures minimized[/]")
    with_known(rows)
    print_table(console, rows)
    overall = totals(rows)
    for side in ("old", "new"):
        o = overall[side]
        console.print(
            f"{side}: {o['within_2']}/{overall['failures']} within 2 of the known shortest; "
            f"replays per failure {_fmt(o['runs'])}; CPU s per failure {_fmt(o['cpu_s'], 3)}; "
            f"total {o['total_cpu_s']:.1f} s; stories that fail without the flaw flags "
            f"{o['fails_without_flags']}"
        )
    if args.markdown:
        print(markdown_table(rows))
    console.print(f"new: candidates adopted per pass {overall['new']['adopted']}")
    console.print(f"new: replays per pass {overall['new']['spent']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"python": sys.version.split()[0], "baseline": args.baseline,
                                    "totals": overall, "flaws": rows}, indent=1))  # fmt: skip
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
