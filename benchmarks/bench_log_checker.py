"""Log checker at scale: 100k and 1M history entries, time and peak memory.

    python benchmarks/bench_log_checker.py [--sizes 100000 1000000] [--repeat 3]

For each size it writes a generated correct history (JSON Lines, cached under
benchmarks/results/) and runs each stage in a fresh subprocess, so that peak RSS
(`ru_maxrss`) belongs to that stage alone:

- `parse`:     stream the file through the reader, discarding the ops;
- `check`:     `check_log` over an in-memory list (parse time excluded, list RSS included);
- `stream`:    `check_log(reader(path))`: the real end-to-end path, constant-memory parse;
- `reference`: a bare Python loop over 1M dicts, to calibrate for the machine's speed
  (on a quiet modern core it takes about 0.05–0.1 s; scale the other figures by it).

Times are CPU seconds of the stage (`time.process_time`), the median of `--repeat`
runs, which is robust to other processes sharing the machine; wall time is reported too.
Where `perf` is usable, each stage process also runs under `perf stat -e instructions:u`:
instruction counts do not depend on machine load, and `stream − parse` is the checker's
own cost (column `Ginstr`, whole process including interpreter start-up, ~0.2 G).
Readers: `orjson-lines` (plain `orjson.loads` per line) and, when present,
`replicheck.checker.history.iter_ops` (validating). Prints a table and writes
benchmarks/results/log_checker.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

STAGE_CODE = r"""
import gc, json, resource, sys, time
stage, reader_name, path = sys.argv[1], sys.argv[2], sys.argv[3]

def orjson_lines(p):
    import orjson
    loads = orjson.loads
    with open(p, "rb") as f:
        for line in f:
            yield loads(line)

def reader(p):
    if reader_name == "orjson-lines":
        return orjson_lines(p)
    from replicheck.checker.history import iter_ops
    return iter_ops(p)

from replicheck.checker.log_anomalies import check_log

out = {}
if stage == "reference":
    ops = [{"index": i, "type": "ok", "process": i % 7} for i in range(1_000_000)]
    cpu, wall = time.process_time(), time.perf_counter()
    n = 0
    for op in ops:
        if op["type"] == "invoke":
            n += 1
        op.get("index")
elif stage == "parse":
    cpu, wall = time.process_time(), time.perf_counter()
    n = sum(1 for _ in reader(path))
    out["ops"] = n
elif stage == "check":
    ops = list(reader(path))
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    verdict = check_log(ops)
    out["valid"] = verdict.valid
    out["ops"] = verdict.stats["ops"]
elif stage == "stream":
    cpu, wall = time.process_time(), time.perf_counter()
    verdict = check_log(reader(path))
    out["valid"] = verdict.valid
    out["ops"] = verdict.stats["ops"]
    out["records_read"] = verdict.stats["records_read"]
out["cpu_s"] = time.process_time() - cpu
out["wall_s"] = time.perf_counter() - wall
out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def perf_usable() -> bool:
    if shutil.which("perf") is None:
        return False
    probe = subprocess.run(
        ["perf", "stat", "-x,", "-e", "instructions:u", sys.executable, "-c", "pass"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and "instructions" in probe.stderr


PERF = perf_usable()


def run_stage(stage: str, reader: str, path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    command = [sys.executable, "-c", STAGE_CODE, stage, reader, str(path)]
    if PERF:
        command = ["perf", "stat", "-x,", "-e", "instructions:u", *command]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage}/{reader} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout)
    for line in proc.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("instructions") and fields[0].isdigit():
            result["instructions"] = int(fields[0])
    return result


def measure(stage: str, reader: str, path: Path, repeat: int) -> dict:
    runs = [run_stage(stage, reader, path) for _ in range(repeat)]
    result = dict(runs[-1])
    result["cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
    result["wall_s"] = statistics.median(r["wall_s"] for r in runs)
    result["max_rss_mib"] = max(r["max_rss_mib"] for r in runs)
    if all("instructions" in r for r in runs):
        result["instructions"] = statistics.median(r["instructions"] for r in runs)
    return result


def readers() -> list[str]:
    names = ["orjson-lines"]
    try:
        sys.path.insert(0, str(ROOT / "src"))
        from replicheck.checker import history  # noqa: F401
    except ImportError:
        pass
    else:
        names.append("iter_ops")
    return names


def history_file(lines: int) -> Path:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gen_log_history import write_history

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"log_history_{lines}.jsonl"
    if not path.exists():
        print(f"generating {path.name} …", file=sys.stderr)
        write_history(path, lines)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rows = []
    reference = measure("reference", "orjson-lines", Path("-"), args.repeat)
    for lines in args.sizes:
        path = history_file(lines)
        for reader in readers():
            for stage in ("parse", "check", "stream"):
                result = measure(stage, reader, path, args.repeat)
                rows.append({"lines": lines, "reader": reader, "stage": stage, **result})
                print(
                    f"{lines:>9,} {reader:<13} {stage:<7} cpu {result['cpu_s']:6.2f} s  "
                    f"wall {result['wall_s']:6.2f} s  rss {result['max_rss_mib']:7.1f} MiB",
                    file=sys.stderr,
                )

    print()
    print(f"reference loop (1M dicts): {reference['cpu_s']:.3f} s CPU")
    header = ("ops", "reader", "stage", "CPU s", "wall s", "RSS MiB", "Ginstr")
    print("{:>10} | {:<13} | {:<7} | {:>7} | {:>7} | {:>8} | {:>7}".format(*header))
    print(f"{'-' * 10}-+-{'-' * 13}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 8}-+-{'-' * 7}")
    for row in rows:
        ginstr = f"{row['instructions'] / 1e9:7.2f}" if "instructions" in row else "      -"
        print(
            f"{row['lines']:>10,} | {row['reader']:<13} | {row['stage']:<7} | "
            f"{row['cpu_s']:>7.2f} | {row['wall_s']:>7.2f} | {row['max_rss_mib']:>8.1f} | "
            f"{ginstr}"
        )
    report = {
        "benchmark": "log_checker",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average": os.getloadavg(),
        "repeat": args.repeat,
        "reference_loop_cpu_s": reference["cpu_s"],
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "log_checker.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
