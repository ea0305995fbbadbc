"""Per-example cost of a campaign: two source trees, run alternately in one go.

    python benchmarks/bench_example_cost.py --before /tmp/old/src [--after src]
        [--seeds 1 2 3] [--examples 100] [--flaw no-fetch-fencing ...] [--repeat 3]
        [--instructions]

The same seeded campaigns (`run_single`, no example database, no minimization) run in
child processes, before/after/before/... so that both trees share the machine's load.
Each child reports the CPU seconds of the campaign alone (imports excluded), the examples
and steps it ran, and a digest of every example's step list: equal digests mean both
trees explored exactly the same examples, so their CPU figures compare like for like.
The table gives examples/s and steps/s (per CPU second, median over repeats) and the
before/after CPU ratio; `--instructions` adds instructions per example, counted by
valgrind (cachegrind, no cache simulation) as the difference between a short and a long
campaign, so interpreter start-up cancels out -- a load-independent figure.

Writes benchmarks/results/example_cost.json. Wall-clock and CPU figures belong here,
never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "example_cost.json"

# Runs in the child, with PYTHONPATH pointing at one tree's src/.
CHILD = r"""
import hashlib, json, sys, time
from replicheck.stateful.runner import resolve_config, run_single
flaw, seed, examples, steps = json.loads(sys.argv[1])
config = resolve_config(None, flaw)
digest = hashlib.sha256()
def on_example(sink, elapsed):
    digest.update(json.dumps([s.to_dict() for s in sink.last_steps]).encode())
started = time.process_time()
single = run_single(config, seed, examples, steps, None, on_example, polish_result=False)
cpu_s = time.process_time() - started
print(json.dumps({"cpu_s": cpu_s, "examples": single.examples, "steps": single.steps,
                  "found": single.result is not None, "digest": digest.hexdigest()}))
"""


def run_child(src: str, job: list[object], valgrind: bool = False) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=src, PYTHONHASHSEED="0")
    command = [sys.executable, "-c", CHILD, json.dumps(job)]
    if not valgrind:
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        return json.loads(out.stdout)
    with tempfile.TemporaryDirectory() as tmp:
        vg = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
              f"--cachegrind-out-file={tmp}/cg.out"]
        out = subprocess.run(vg + command, env=env, check=True, capture_output=True, text=True)
    refs = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    assert refs, out.stderr[-2000:]
    result = json.loads(out.stdout)
    result["instructions"] = int(refs.group(1).replace(",", ""))
    return result


def measure(trees: dict[str, str], job: list[object], repeat: int) -> dict[str, object]:
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    last: dict[str, dict[str, object]] = {}
    for _ in range(repeat):
        for name, src in trees.items():
            out = run_child(src, job)
            cpu[name].append(float(out["cpu_s"]))
            last[name] = out
            print(f"{job} {name} {out['cpu_s']:.2f} s", file=sys.stderr)
    before, after = last["before"], last["after"]
    row: dict[str, object] = {
        "flaw": job[0] or "(correct)", "seed": job[1], "examples": after["examples"],
        "steps": after["steps"], "found": after["found"],
        "same_exploration": before["digest"] == after["digest"]
        and before["examples"] == after["examples"],
    }
    for name in trees:
        median = statistics.median(cpu[name])
        row[f"{name}_cpu_s"] = median
        row[f"{name}_examples_per_s"] = int(last[name]["examples"]) / median
        row[f"{name}_steps_per_s"] = int(last[name]["steps"]) / median
    row["ratio"] = float(row["before_cpu_s"]) / float(row["after_cpu_s"])
    return row


def instructions(trees: dict[str, str], seed: int, short: int, long: int) -> dict[str, float]:
    """Instructions per example: (I(long) - I(short)) / (examples(long) - examples(short))."""
    out = {}
    for name, src in trees.items():
        a = run_child(src, [None, seed, short, 30], valgrind=True)
        b = run_child(src, [None, seed, long, 30], valgrind=True)
        per = (int(b["instructions"]) - int(a["instructions"])) / (
            int(b["examples"]) - int(a["examples"]))
        out[name] = per
        print(f"instructions {name}: {per:,.0f} per example", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the src/ directory of the old tree")
    parser.add_argument("--after", default=str(Path(__file__).resolve().parent.parent / "src"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--flaw", nargs="*", default=["no-fetch-fencing", "consumer-reads-past-hw"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    trees = {"before": args.before, "after": args.after}
    rows = [measure(trees, [flaw, seed, args.examples, 30], args.repeat)
            for flaw in [None, *args.flaw] for seed in args.seeds]
    counts = instructions(trees, args.seeds[0], 10, 40) if args.instructions else {}
    print("| config | seed | examples | steps | ex/s before | ex/s after | steps/s before "
          "| steps/s after | CPU before/after | same exploration |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['flaw']} | {r['seed']} | {r['examples']} | {r['steps']} "
              f"| {r['before_examples_per_s']:.1f} | {r['after_examples_per_s']:.1f} "
              f"| {r['before_steps_per_s']:.0f} | {r['after_steps_per_s']:.0f} "
              f"| {r['ratio']:.2f} | {r['same_exploration']} |")
    if counts:
        print(f"\ninstructions per example (correct config, seed {args.seeds[0]}): "
              f"before {counts['before']:,.0f}, after {counts['after']:,.0f}, "
              f"ratio {counts['before'] / counts['after']:.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"before": args.before, "after": args.after, "rows": rows,
                                   "instructions_per_example": counts,
                                   "loadavg": os.getloadavg()}, indent=2) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
