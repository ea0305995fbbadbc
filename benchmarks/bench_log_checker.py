"""Log checker at scale: 100k and 1M history entries, time and peak memory.

    python benchmarks/bench_log_checker.py [--sizes 100000 1000000] [--repeat 3]

For each size it writes a generated correct history (JSON Lines, cached under
benchmarks/results/) and runs each stage in a fresh subprocess, so that peak RSS
(`ru_maxrss`) belongs to that stage alone:

- `parse`:     stream the file through the reader, discarding the ops;
- `check`:     `check_log` over an in-memory list (parse time excluded, list RSS included);
- `stream`:    `check_log(reader(path))`: the real end-to-end path, constant-memory parse;
- `reference`: a bare Python loop over 1M dicts, to show how fast the machine (and its
  load) was during the run; reported next to the figures, never used to scale them.

Times are CPU seconds of the stage (`time.process_time`), the median of `--repeat`
runs, which is robust to other processes sharing the machine; wall time is reported too.
Where `perf` is usable, each stage process also runs under `perf stat -e instructions:u`:
instruction counts do not depend on machine load, and `stream − parse` is the checker's
own cost (column `Ginstr`, whole process including interpreter start-up, ~0.2 G).
Readers: `orjson-lines` (plain `orjson.loads` per line) and, when present,
`replicheck.checker.history.iter_ops` (validating). Prints a table and writes
benchmarks/results/log_checker.json.

Jepsen's shape (`--jepsen`, on by default; `--jepsen-only` skips the stages above): a
correct Jepsen-shape history (10 clients, 4 partitions, polls of 1–40 records, assign,
crashes, info sends) at each size, written as Jepsen's EDN and as JSON Lines, checked end
to end by `replicheck check FILE --model log --json` in a child process (CPU = the
child's user+system time from `wait4`, the median of `--repeat`); plus the same EDN file
with a bad line 27, which must be reported without reading the rest.

Every figure is raw CPU seconds on the interpreter the children run under: `--python
EXE` picks it (default: the one running this script; it needs the project's dependencies,
and this tree is put first on its PYTHONPATH). The JSON records that interpreter
(`interpreter`: version, path, configure flags, whether libpython is loaded as a shared
library) and, per format, t(largest)/t(smallest) and whether the largest size is within
the issue's 5 s (`jepsen_scaling`, `scaling`).

`--before OLD/src` runs only the Jepsen check, this tree and OLD alternately on the same
files, checks that both print the same verdict, and runs the reference loop next to each
pair. `--callgrind` adds, per file and tree, one run under `valgrind --tool=callgrind`
and its instruction count (`Ginstr`): independent of the machine's load, unlike CPU
seconds on a shared box, and slow (a few minutes per 100k lines on a loaded box).

Last measured (sixth round, docs/log-checker.md "Scale"; load average 4.6–5.8, two runs
per interpreter, alternating): 1M lines, EDN / JSON Lines, 15.6–16.1 / 14.8–15.2 CPU s on
pyenv 3.11.7 (no PGO/LTO, shared libpython), 13.6–13.8 / 12.9–13.0 s on Debian's 3.11.2;
100k: 1.5–1.8 s either. t(1M)/t(100k) 8.5–10.1. The 5 s target is not met on either
interpreter. callgrind, 100k lines, whole CLI process: 4.53 G
(EDN), 4.29 G (JSON Lines) on pyenv, 3.94 G (JSON Lines) on Debian's.
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
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
#: the interpreter every measured child runs under (`--python`; default: this one)
PYTHON = [sys.executable]
#: the issue's target: `replicheck check` of `TARGET_LINES` Jepsen-shape ops in at most
#: this CPU time
TARGET_CPU_S = 5.0
TARGET_LINES = 1_000_000

INTERPRETER_CODE = r"""
import json, os, platform, sys, sysconfig
args = sysconfig.get_config_var("CONFIG_ARGS") or ""
try:
    with open("/proc/self/maps") as maps:
        shared = "libpython" in maps.read()
except OSError:
    shared = None
print(json.dumps({
    "executable": sys.executable,
    "base_executable": getattr(sys, "_base_executable", sys.executable),
    "real_path": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
    "implementation": platform.python_implementation(),
    "version": platform.python_version(),
    "compiler": platform.python_compiler(),
    "config_args": args,
    "configured_pgo": "--enable-optimizations" in args,
    "configured_lto": "--with-lto" in args,
    "libpython_shared_loaded": shared,
    "cflags": sysconfig.get_config_var("CFLAGS"),
    "dont_write_bytecode": sys.dont_write_bytecode,
}))
"""


def interpreter_info() -> dict:
    """What the measured children run on: version, build flags as configured (a
    distribution may add PGO/LTO through its own build rules, which `CONFIG_ARGS` does not
    show), and whether libpython is loaded as a shared library (slower calls)."""
    proc = subprocess.run(
        [*PYTHON, "-c", INTERPRETER_CODE], capture_output=True, text=True, check=True
    )
    info: dict = json.loads(proc.stdout)
    return info


def describe(info: dict) -> str:
    build = [
        "PGO" if info["configured_pgo"] else "no PGO configured",
        "LTO" if info["configured_lto"] else "no LTO configured",
        "libpython shared" if info["libpython_shared_loaded"] else "libpython static",
    ]
    return f"{info['implementation']} {info['version']} ({info['real_path']}; {', '.join(build)})"


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
    command = [*PYTHON, "-c", STAGE_CODE, stage, reader, str(path)]
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


def jepsen_files(lines: int) -> tuple[Path, Path]:
    """A correct Jepsen-shape history of about `lines` lines, as EDN and as JSON Lines
    (written by a child process: a child forked from a parent holding a million ops would
    inherit its peak RSS, and the measured children's RSS would be the parent's)."""
    edn, jsonl = RESULTS / f"jepsen_history_{lines}.edn", RESULTS / f"jepsen_history_{lines}.jsonl"
    if not (edn.exists() and jsonl.exists()):
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        subprocess.run(
            [sys.executable, __file__, "--write-jepsen", str(lines)], env=env, check=True
        )
    return edn, jsonl


def write_jepsen(lines: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import orjson

    from replicheck.testing.jepsen_gen import JepsenGenConfig, generate_jepsen, to_edn_line

    RESULTS.mkdir(parents=True, exist_ok=True)
    edn, jsonl = RESULTS / f"jepsen_history_{lines}.edn", RESULTS / f"jepsen_history_{lines}.jsonl"
    print(f"generating {edn.name} …", file=sys.stderr)
    config = JepsenGenConfig(
        ops=lines * 49 // 100,
        processes=10,
        keys=4,
        max_poll_records=40,
        crash_ratio=0.001,
        info_ratio=0.05,
        fail_ratio=0.02,
        hole_ratio=0.05,
        assign_ratio=0.005,
    )
    history = generate_jepsen(config, seed=1)  # final polls included: about `lines`
    with edn.open("w") as out:
        out.writelines(to_edn_line(op) + "\n" for op in history)
    with jsonl.open("wb") as out:
        out.writelines(orjson.dumps(op, option=orjson.OPT_NON_STR_KEYS) + b"\n" for op in history)


def run_cli(path: Path, *extra: str, src: str | None = None) -> dict:
    """`replicheck check PATH --model log --json` in a child (of the tree `src`, default
    this one): its CPU, wall, RSS and the JSON it printed."""
    env = dict(os.environ, PYTHONPATH=src or str(ROOT / "src"))
    command = [
        *PYTHON,
        "-m",
        "replicheck",
        "check",
        str(path),
        "--model",
        "log",
        "--json",
        *extra,
    ]
    wall = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - wall
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read().decode()
    return {
        "stdout": stdout,
        "exit": os.waitstatus_to_exitcode(status),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "max_rss_mib": usage.ru_maxrss / 1024,
        "stderr": stderr[-300:],
    }


def measure_cli(path: Path, repeat: int) -> dict:
    runs = [run_cli(path) for _ in range(repeat)]
    result = dict(runs[-1])
    del result["stdout"]
    result["cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
    result["wall_s"] = statistics.median(r["wall_s"] for r in runs)
    result["max_rss_mib"] = max(r["max_rss_mib"] for r in runs)
    return result


def jepsen_rows(sizes: list[int], repeat: int) -> list[dict]:
    rows = []
    for lines in sizes:
        edn, jsonl = jepsen_files(lines)
        for fmt, path in (("edn", edn), ("jsonl", jsonl)):
            result = measure_cli(path, repeat)
            assert result["exit"] == 0, result  # a correct history: exit 0
            with path.open("rb") as handle:
                actual = sum(1 for _ in handle)
            rows.append(
                {"lines": lines, "actual_lines": actual, "format": fmt, "case": "check", **result}
            )
            print(f"{lines:>9,} jepsen {fmt:<5} cpu {result['cpu_s']:6.2f} s", file=sys.stderr)
    biggest = jepsen_files(max(sizes))[0]
    bad = RESULTS / "jepsen_history_bad_line_27.edn"
    with biggest.open() as source, bad.open("w") as out:
        for number, line in enumerate(source, start=1):
            out.write("{:type :ok, :f :poll, :process" if number == 27 else line)
    result = measure_cli(bad, repeat)
    assert result["exit"] == 2 and ":27:" in result["stderr"], result
    rows.append({"lines": max(sizes), "format": "edn", "case": "bad line 27", **result})
    return rows


def _verdict(stdout: bytes) -> dict:
    """The --json verdict without `translated_ops` (a count that older trees got wrong:
    they reported the position of the last translated op plus one)."""
    out = json.loads(stdout)
    out["log"]["stats"].pop("translated_ops", None)
    return out


def callgrind_ginstr(path: Path, src: str) -> float | None:
    """Instructions (G) of one `replicheck check` run of the tree `src` under callgrind,
    or None when valgrind is not installed."""
    if shutil.which("valgrind") is None:
        return None
    env = dict(os.environ, PYTHONPATH=src)
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [*PYTHON, "-m", "replicheck", "check", str(path), "--model", "log"]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in proc.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1]) / 1e9
    return None


def compare_rows(before: str, sizes: list[int], repeat: int, callgrind: bool = False) -> list[dict]:
    """This tree against the tree `before` (its src/), run in turns on the same files so
    that both see the same machine load: median CPU and wall seconds, and their ratios."""
    rows = []
    for lines in sizes:
        for fmt, path in zip(("edn", "jsonl"), jepsen_files(lines), strict=True):
            runs: dict[str, list[dict]] = {"before": [], "after": []}
            references: list[float] = []
            for _ in range(repeat):
                references.append(run_stage("reference", "orjson-lines", Path("-"))["cpu_s"])
                for name, src in (("before", before), ("after", str(ROOT / "src"))):
                    result = run_cli(path, src=src)
                    assert result["exit"] == 0, (name, result["stderr"])
                    runs[name].append(result)
                    print(
                        f"{lines:>9,} {fmt:<5} {name:<6} cpu {result['cpu_s']:6.2f} s "
                        f"wall {result['wall_s']:6.2f} s",
                        file=sys.stderr,
                    )
            row: dict = {"lines": lines, "format": fmt}
            for name in runs:
                row[f"{name}_cpu_s"] = statistics.median(r["cpu_s"] for r in runs[name])
                row[f"{name}_wall_s"] = statistics.median(r["wall_s"] for r in runs[name])
                row[f"{name}_rss_mib"] = max(r["max_rss_mib"] for r in runs[name])
            row["cpu_ratio"] = row["before_cpu_s"] / row["after_cpu_s"]
            # the reference loop, run next to each pair: how fast the machine was meanwhile
            row["reference_cpu_s"] = statistics.median(references)
            row["wall_ratio"] = row["before_wall_s"] / row["after_wall_s"]
            if callgrind:
                for name, src in (("before", before), ("after", str(ROOT / "src"))):
                    row[f"{name}_ginstr"] = callgrind_ginstr(path, src)
            row["same_verdict"] = all(
                _verdict(r["stdout"]) == _verdict(runs["before"][0]["stdout"])
                for r in runs["before"] + runs["after"]
            )
            rows.append(row)
    return rows


def print_compare(rows: list[dict]) -> None:
    print()
    print("replicheck check FILE --model log --json, before vs after (alternating runs, medians)")
    print(
        "| ops | format | before CPU s | after CPU s | CPU ratio | before wall s "
        "| after wall s | wall ratio | after RSS MiB | reference s | same verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['lines']:,} | {r['format']} | {r['before_cpu_s']:.2f} | {r['after_cpu_s']:.2f} "
            f"| {r['cpu_ratio']:.2f} | {r['before_wall_s']:.2f} | {r['after_wall_s']:.2f} "
            f"| {r['wall_ratio']:.2f} | {r['after_rss_mib']:.0f} | {r['reference_cpu_s']:.3f} "
            f"| {r['same_verdict']} |"
        )
    print("(CPU s: raw user+system seconds of the child on the interpreter above)")
    for r in rows:
        if r.get("after_ginstr") and r.get("before_ginstr"):
            print(
                f"{r['lines']:,} {r['format']}: callgrind {r['before_ginstr']:.2f} → "
                f"{r['after_ginstr']:.2f} G instructions "
                f"(ratio {r['before_ginstr'] / r['after_ginstr']:.2f})"
            )
    for name in ("before", "after"):
        for line in scaling_lines(scaling(rows, f"{name}_cpu_s"), name):
            print(line)


def print_jepsen(rows: list[dict]) -> None:
    print()
    print("replicheck check FILE --model log (Jepsen shape, end to end, one process)")
    header = ("ops", "format", "case", "CPU s", "wall s", "RSS MiB", "exit")
    print("{:>10} | {:<6} | {:<11} | {:>7} | {:>7} | {:>8} | {:>4}".format(*header))
    print(f"{'-' * 10}-+-{'-' * 6}-+-{'-' * 11}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 8}-+-{'-' * 4}")
    for row in rows:
        print(
            f"{row['lines']:>10,} | {row['format']:<6} | {row['case']:<11} | {row['cpu_s']:>7.2f} | "
            f"{row['wall_s']:>7.2f} | {row['max_rss_mib']:>8.1f} | {row['exit']:>4}"
        )
    for line in scaling_lines(scaling([r for r in rows if r["case"] == "check"], "cpu_s"), ""):
        print(line)


def scaling(rows: list[dict], column: str) -> dict:
    """Per format: CPU seconds at the smallest and largest size, t(big)/t(small), and
    whether the largest size is within `TARGET_CPU_S` (meaningful at 1M lines)."""
    by = {(r["lines"], r["format"]): r[column] for r in rows}
    sizes = sorted({lines for lines, _ in by})
    out: dict = {}
    for fmt in ("edn", "jsonl"):
        if (sizes[0], fmt) not in by:
            continue
        small, big = by[sizes[0], fmt], by[sizes[-1], fmt]
        out[fmt] = {
            "small_lines": sizes[0],
            "big_lines": sizes[-1],
            "small_cpu_s": small,
            "big_cpu_s": big,
            "ratio": big / small if len(sizes) > 1 else None,
            # the target is stated for 1M ops; a smaller run says nothing about it
            "within_target": big <= TARGET_CPU_S if sizes[-1] >= TARGET_LINES else None,
        }
    return out


def scaling_lines(summary: dict, name: str) -> list[str]:
    lines = []
    for fmt, s in summary.items():
        head = f"{name + ': ' if name else ''}{fmt}"
        if s["ratio"] is not None:
            lines.append(
                f"{head} t({s['big_lines']:,})/t({s['small_lines']:,}) = {s['ratio']:.2f} "
                f"(size ratio {s['big_lines'] / s['small_lines']:.0f}; target ≤ 11)"
            )
        if s["within_target"] is None:
            continue
        verdict = "within" if s["within_target"] else "NOT within"
        lines.append(
            f"{head} {s['big_lines']:,} lines: {s['big_cpu_s']:.2f} CPU s, {verdict} the "
            f"{TARGET_CPU_S:g} s target"
        )
    return lines


def print_stages(rows: list[dict]) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jepsen-only", action="store_true", help="only Jepsen's shape")
    parser.add_argument("--no-jepsen", action="store_true", help="skip Jepsen's shape")
    parser.add_argument("--write-jepsen", type=int, metavar="LINES", help=argparse.SUPPRESS)
    parser.add_argument(
        "--before", metavar="SRC", help="only the Jepsen check, against the tree SRC (its src/)"
    )
    parser.add_argument(
        "--callgrind", action="store_true", help="with --before: instruction counts too"
    )
    parser.add_argument(
        "--python",
        metavar="EXE",
        help="run the measured children under this interpreter (it needs the project's "
        "dependencies; the tree is put on its PYTHONPATH); default: this one",
    )
    args = parser.parse_args()
    if args.write_jepsen:
        write_jepsen(args.write_jepsen)
        return
    if args.python:
        PYTHON[:] = [args.python]
    interpreter = interpreter_info()
    print(f"interpreter: {describe(interpreter)}", file=sys.stderr)
    if args.before:
        rows = compare_rows(args.before, args.sizes, args.repeat, args.callgrind)
        print(f"\ninterpreter: {describe(interpreter)}")
        print_compare(rows)
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / "log_checker_compare.json"
        report = {
            "before": args.before,
            "repeat": args.repeat,
            "rows": rows,
            "scaling": {name: scaling(rows, f"{name}_cpu_s") for name in ("before", "after")},
            "target_cpu_s": TARGET_CPU_S,
            "load_average": os.getloadavg(),
            "python": interpreter["version"],
            "interpreter": interpreter,
        }
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {out.relative_to(ROOT)}")
        return

    rows = []
    jepsen = [] if args.no_jepsen else jepsen_rows(args.sizes, args.repeat)
    reference = measure("reference", "orjson-lines", Path("-"), args.repeat)
    for lines in [] if args.jepsen_only else args.sizes:
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
    print(f"interpreter: {describe(interpreter)}")
    print(f"reference loop (1M dicts): {reference['cpu_s']:.3f} s CPU")
    if jepsen:
        print_jepsen(jepsen)
    if rows:
        print_stages(rows)
    checks = [r for r in jepsen if r["case"] == "check"]
    report = {
        "benchmark": "log_checker",
        "python": interpreter["version"],
        "interpreter": interpreter,
        "machine": platform.machine(),
        "target_cpu_s": TARGET_CPU_S,
        "jepsen_scaling": scaling(checks, "cpu_s") if checks else {},
        "load_average": os.getloadavg(),
        "repeat": args.repeat,
        "reference_loop_cpu_s": reference["cpu_s"],
        "rows": rows,
        "jepsen_rows": jepsen,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("log_checker_jepsen.json" if args.jepsen_only else "log_checker.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
