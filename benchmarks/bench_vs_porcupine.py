"""replicheck's linearizability checker and Porcupine side by side, on Porcupine's histories.

    python benchmarks/bench_vs_porcupine.py              # all 108 files, best of 3 (~1 min)
    python benchmarks/bench_vs_porcupine.py --repeat 1 --only 'etcd_00*'

The peer folder (Porcupine's labeled test histories converted to replicheck's JSONL, and a
small Go harness that checks one file with Porcupine) is `<repo>/../shared/peers/porcupine`,
or `$REPLICHECK_PORCUPINE_DIR`. The harness is built offline into benchmarks/results/
(gitignored). Without Go or the folder the benchmark says so and exits 0.

For every file, in the same run: both tools as one process each (`replicheck check FILE
--model M --first-failure`: the verdict alone, which is what the harness asks Porcupine),
best of `--repeat` wall times, and the check time alone (Porcupine's `check_s`; for
replicheck `check_history` in this process, after parsing; once more with every partition
searched, replicheck's default, which lists all failing partitions). Then the whole set through
`replicheck check FILES… --model M` batch runs (one per model), against the sum of
Porcupine's per-file wall times. A table on stdout, everything in
benchmarks/results/vs_porcupine.json.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from replicheck.checker.history import read_history  # noqa: E402
from replicheck.checker.linearizability import check_history  # noqa: E402
from replicheck.model import get_model  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
PEER_ENV = "REPLICHECK_PORCUPINE_DIR"
HEAVY = ("kv-c50-ok", "kv-c50-bad", "etcd_002", "etcd_007", "etcd_099", "etcd_057")
EXIT_VERDICT = {0: True, 1: False, 3: "unknown"}


def peer_dir() -> Path:
    return Path(os.environ.get(PEER_ENV) or REPO.parent / "shared" / "peers" / "porcupine")


def build_harness(peer: Path) -> Path | str:
    """The Porcupine harness binary, built offline; or why it cannot be."""
    go = shutil.which("go")
    if go is None:
        return "Go is not installed (apt-get install golang-go)"
    if not (peer / "harness" / "main.go").is_file() or not (peer / "histories").is_dir():
        return f"no Porcupine peer folder at {peer} (set ${PEER_ENV})"
    RESULTS.mkdir(parents=True, exist_ok=True)
    binary = RESULTS / "porcupine-harness"
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
    done = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=peer / "harness",
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"the Porcupine harness does not build: {done.stderr.strip()[:300]}"
    return binary


def replicheck_command() -> list[str]:
    script = Path(sys.executable).parent / "replicheck"
    return [str(script)] if script.exists() else [sys.executable, "-m", "replicheck"]


def best_wall(argv: list[str], repeat: int) -> tuple[float, list[subprocess.CompletedProcess]]:
    """The best wall time of `repeat` runs, and every run's result."""
    best = math.inf
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        runs.append(subprocess.run(argv, capture_output=True, text=True))
        best = min(best, time.perf_counter() - started)
    return best, runs


def run_porcupine(binary: Path, path: Path, model: str, repeat: int, timeout_s: float) -> dict:
    argv = [str(binary), "-model", model, "-timeout", str(timeout_s), str(path)]
    wall, runs = best_wall(argv, repeat)
    outs = [json.loads(run.stdout) for run in runs]
    return {
        "wall_s": wall,
        "check_s": min(out["check_s"] for out in outs),
        "valid": outs[-1]["valid"],
        "ops": outs[-1]["ops"],
    }


def run_replicheck(path: Path, model: str, repeat: int, timeout_s: float) -> dict:
    argv = [*replicheck_command(), "check", str(path), "--model", model]
    argv += ["--first-failure", "--timeout", str(timeout_s)]
    wall, runs = best_wall(argv, repeat)
    done = runs[-1]
    ops = read_history(path)
    checks = []
    for _ in range(repeat):
        started = time.perf_counter()
        verdict = check_history(get_model(model), ops, timeout_s=timeout_s, first_failure=True)
        checks.append(time.perf_counter() - started)
    # every partition searched (the default, all failing partitions with evidence)
    started = time.perf_counter()
    full = check_history(get_model(model), ops, timeout_s=timeout_s)
    all_s = time.perf_counter() - started
    assert full.valid is verdict.valid or full.valid is None
    assert EXIT_VERDICT.get(done.returncode) == (
        "unknown" if verdict.valid is None else verdict.valid
    ), f"{path}: the CLI and the API disagree ({done.returncode}): {done.stderr[-300:]}"
    return {
        "wall_s": wall,
        "check_s": min(checks),
        "check_all_partitions_s": all_s,
        "valid": EXIT_VERDICT[done.returncode],
    }


def run_batch(files: list[tuple[Path, str]], repeat: int) -> dict:
    """One `replicheck check FILES… --model M` process per model; walls summed."""
    total = 0.0
    verdicts: dict[str, Any] = {}
    for model in sorted({m for _, m in files}):
        paths = [str(p) for p, m in files if m == model]
        argv = [*replicheck_command(), "check", *paths, "--model", model, "--first-failure"]
        argv.append("--json")
        wall, runs = best_wall(argv, repeat)
        total += wall
        for line in runs[-1].stdout.splitlines():
            row = json.loads(line)
            verdicts[Path(row["file"]).name] = row["valid"]
    return {"wall_s": total, "verdicts": verdicts}


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--only", default="*", help="glob over file names (default: all)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per file, both tools")
    args = parser.parse_args()

    peer = peer_dir()
    binary = build_harness(peer)
    if isinstance(binary, str):
        print(f"bench_vs_porcupine: skipped: {binary}")
        return 0
    expected: dict[str, bool] = json.loads((peer / "histories" / "expected.json").read_text())
    names = sorted(n for n in expected if fnmatch.fnmatch(n, args.only))
    files = [(peer / "histories" / n, "kv" if n.startswith("kv") else "register") for n in names]

    rows = []
    for path, model in files:
        por = run_porcupine(binary, path, model, args.repeat, args.timeout)
        rep = run_replicheck(path, model, args.repeat, args.timeout)
        rows.append(
            {
                "file": path.stem,
                "model": model,
                "ops": por["ops"],
                "expected": expected[path.name],
                "porcupine": por,
                "replicheck": rep,
                "ratio_wall": rep["wall_s"] / por["wall_s"],
                "ratio_check": rep["check_s"] / max(por["check_s"], 1e-6),
            }
        )
    batch = run_batch(files, args.repeat)

    right = [r for r in rows if r["replicheck"]["valid"] is r["expected"]]
    porcupine_right = [r for r in rows if r["porcupine"]["valid"] is r["expected"]]
    batch_right = [r for r in rows if batch["verdicts"].get(r["file"] + ".jsonl") is r["expected"]]
    heavy = [r for r in rows if r["file"] in HEAVY]
    por_sum = sum(r["porcupine"]["wall_s"] for r in rows)
    rep_sum = sum(r["replicheck"]["wall_s"] for r in rows)
    summary = {
        "files": len(rows),
        "replicheck_right": len(right),
        "porcupine_right": len(porcupine_right),
        "batch_right": len(batch_right),
        "replicheck_unknown": sum(r["replicheck"]["valid"] == "unknown" for r in rows),
        "geomean_ratio_wall_heavy": geomean([r["ratio_wall"] for r in heavy]) if heavy else None,
        "geomean_ratio_check_heavy": geomean([r["ratio_check"] for r in heavy]) if heavy else None,
        "porcupine_sum_wall_s": por_sum,
        "replicheck_sum_wall_s": rep_sum,
        "replicheck_batch_wall_s": batch["wall_s"],
        "batch_over_porcupine_sum": batch["wall_s"] / por_sum,
    }
    print_table(rows, summary)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "benchmark": "vs_porcupine",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeat": args.repeat,
        "peer": str(peer),
        "summary": summary,
        "rows": rows,
        "batch_verdicts": batch["verdicts"],
    }
    (RESULTS / "vs_porcupine.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"\nwrote {RESULTS / 'vs_porcupine.json'}")
    return 0


def print_table(rows: list[dict], summary: dict) -> None:
    def verdict(v: Any) -> str:
        return {True: "lin", False: "NOT", "unknown": "unk"}.get(v, str(v))

    head = "| history | ops | expected | Porcupine | replicheck | wall P s | wall r s | ratio"
    print(head + " | check P s | check r s | r, all partitions s |")
    print("|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|")
    shown = [r for r in rows if r["file"] in HEAVY]
    shown += [r for r in rows if r not in shown and r["replicheck"]["valid"] is not r["expected"]]
    for r in shown:
        p, q = r["porcupine"], r["replicheck"]
        print(
            f"| {r['file']} | {r['ops']} | {verdict(r['expected'])} | {verdict(p['valid'])} "
            f"| {verdict(q['valid'])} | {p['wall_s']:.3f} | {q['wall_s']:.3f} "
            f"| {r['ratio_wall']:.2f} | {p['check_s']:.4f} | {q['check_s']:.4f} "
            f"| {q['check_all_partitions_s']:.4f} |"
        )
    s = summary
    print(
        f"\nverdicts right: replicheck {s['replicheck_right']}/{s['files']} "
        f"({s['replicheck_unknown']} unknown), batch {s['batch_right']}/{s['files']}, "
        f"Porcupine {s['porcupine_right']}/{s['files']}"
    )
    if s["geomean_ratio_wall_heavy"] is not None:
        print(
            f"geometric-mean ratio replicheck/Porcupine over the six heaviest: wall "
            f"{s['geomean_ratio_wall_heavy']:.2f}, check alone {s['geomean_ratio_check_heavy']:.2f}"
        )
    print(
        f"all files: Porcupine {s['porcupine_sum_wall_s']:.2f} s (sum of processes), "
        f"replicheck {s['replicheck_sum_wall_s']:.2f} s (sum of processes), "
        f"{s['replicheck_batch_wall_s']:.2f} s (batch, one process per model) = "
        f"{s['batch_over_porcupine_sum']:.2f}x Porcupine's sum"
    )


if __name__ == "__main__":
    sys.exit(main())
