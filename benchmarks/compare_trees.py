"""`replicheck check FILE --model log` of two source trees, run alternately in one go.

    python benchmarks/compare_trees.py --before /work/main/src [--after src] [--sizes 100000]

On a shared machine seconds drift by tens of percent between runs, so a before/after
figure is only honest when both trees run under the same load: this runs them in turns
(before, after, before, ...) on the Jepsen-shape histories of `bench_log_checker.py`
(generated there and cached), reports the median CPU seconds of each (the child's
user+system time) and their ratio, checks that both trees print the same `--json`
verdict, and writes benchmarks/results/compare_trees.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_log_checker import RESULTS, jepsen_files


def run(src: str, path: Path) -> tuple[float, int, bytes]:
    env = dict(os.environ, PYTHONPATH=src)
    command = [sys.executable, "-m", "replicheck", "check", str(path), "--model", "log", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the src/ directory of the old tree")
    parser.add_argument("--after", default=str(Path(__file__).resolve().parent.parent / "src"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for lines in args.sizes:
        for path in jepsen_files(lines):
            cpu: dict[str, list[float]] = {"before": [], "after": []}
            verdicts: dict[str, bytes] = {}
            for _ in range(args.repeat):
                for name, src in (("before", args.before), ("after", args.after)):
                    seconds, code, out = run(src, path)
                    assert code == 0, f"{name} exited {code} on {path.name}"
                    cpu[name].append(seconds)
                    verdicts[name] = out
                    print(f"{path.name} {name} {seconds:.2f} s", file=sys.stderr)
            before, after = statistics.median(cpu["before"]), statistics.median(cpu["after"])
            rows.append({
                "file": path.name, "before_cpu_s": before, "after_cpu_s": after,
                "ratio": before / after, "same_verdict": verdicts["before"] == verdicts["after"],
            })
    print("| history | before CPU s | after CPU s | before/after | same verdict |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['file']} | {row['before_cpu_s']:.2f} | {row['after_cpu_s']:.2f} "
              f"| {row['ratio']:.2f} | {row['same_verdict']} |")
    out = RESULTS / "compare_trees.json"
    out.write_text(json.dumps({"before": args.before, "after": args.after, "rows": rows,
                               "loadavg": os.getloadavg()}, indent=2))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
