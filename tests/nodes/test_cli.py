"""`replicheck hunt --node` and `replicheck replay` of a node case, run as a user runs them
(a real `replicheck` process): exit codes, what is printed, the report folder, `--json`,
and that every node process is gone when the command has exited -- after a clean hunt, a
violation, a broken node and Ctrl-C. The reaping tests use nodes that ignore the end of
their stdin and write their pids to a file, so only replicheck's own kill can end them."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TIMEOUT_S = 180


def replicheck(*args: str, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "replicheck", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, **(env or {})},
    )


def node_arg(command: list[str]) -> str:
    return shlex.join(command)


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_hunt_finds_reports_and_replays_a_wrong_node(example, tmp_path):
    done = replicheck(
        "hunt", "--node", node_arg(example("log_uncoordinated")), "--faults", "none",
        "--seed", "1", "--max-examples", "20", "--steps", "10", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Violation found and minimized to" in done.stdout
    assert "re-runs):" in done.stdout and "Report: reports/nodes-" in done.stdout
    [folder] = (tmp_path / "reports").iterdir()
    assert f"Replay: replicheck replay reports/{folder.name}/case.json" in done.stdout
    assert (folder / "report.html").is_file() and (folder / "case.json").is_file()
    case = json.loads((folder / "case.json").read_text())
    assert case["format"] == "replicheck-node-case" and case["node_count"] == 3
    assert case["found_by"].startswith("replicheck hunt --node")

    again = replicheck("replay", str(folder), "--runs", "3", cwd=tmp_path)
    assert again.returncode == 1, again.stderr
    assert "result: reproduced " in again.stdout and "/3 (" in again.stdout
    as_json = replicheck("replay", str(folder / "case.json"), "--runs", "2", "--json", cwd=tmp_path)
    summary = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and summary["runs"] == 2 and summary["reproduced"] >= 1
    assert summary["target"]["kind"] == "nodes"


def test_hunt_json_on_a_clean_node(example, tmp_path):
    done = replicheck(
        "hunt", "--node", node_arg(example("log_single")), "--node-count", "1",
        "--faults", "none", "--seed", "3", "--max-examples", "3", "--steps", "6", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # the table went to stderr
    assert summary["format"] == "replicheck-hunt" and summary["exit_code"] == 0
    assert summary["result"] == "clean" and summary["examples"] == 3 and summary["seed"] == 3
    assert summary["anomalies"] == [] and summary["report"] is None
    assert summary["reproduced"] is None and summary["max_examples"] == 3
    assert summary["target"] == {
        "kind": "nodes", "command": example("log_single"), "node_count": 1, "workload": "kafka",
        "faults": [],
    }  # fmt: skip
    assert summary["reproduce"].startswith("replicheck hunt --node")
    assert "replicheck hunt" in done.stderr  # the summary table
    assert not (tmp_path / "reports").exists()


def test_hunt_json_on_a_violation(example, tmp_path):
    done = replicheck(
        "hunt", "--node", node_arg(example("log_uncoordinated")), "--faults", "none",
        "--seed", "1", "--max-examples", "20", "--steps", "10", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert summary["result"] == "violation" and summary["exit_code"] == 1
    assert {"lost-write", "inconsistent-offsets"} & set(summary["anomalies"])
    assert Path(tmp_path / summary["report"]).name.startswith(f"nodes-{summary['anomalies'][0]}-")
    assert summary["scenario_steps"] >= 2 and summary["reproduced"][1] == 10
    assert summary["replay"] == f"replicheck replay {summary['report']}/case.json"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faults", "meteor"], "unknown fault 'meteor'"),
        (["--workload", "broadcast"], "Invalid value for '--workload'"),
        (["--flaw", "truncate-to-hw"], "--flaw selects a reference-cluster flaw"),
        (["--shard", "1/2"], "apply to the reference cluster, not --node"),
        (["--dask", "tcp://127.0.0.1:1"], "apply to the reference cluster, not --node"),
    ],
)
def test_bad_node_options_exit_2(example, tmp_path, args, message):
    done = replicheck("hunt", "--node", node_arg(example("log_single")), *args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_node_options_need_node(tmp_path):
    done = replicheck("hunt", "--node-count", "2", cwd=tmp_path)
    assert done.returncode == 2 and "--node-count only apply with --node" in done.stderr


def test_a_missing_command_exits_2_naming_the_node(tmp_path):
    done = replicheck("hunt", "--node", "/nonexistent/node-binary --x", cwd=tmp_path)
    assert done.returncode == 2
    assert "error: n0: cannot start '/nonexistent/node-binary'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_node_exits_2_naming_the_line_and_is_reaped(program, tmp_path, pid_alive):
    pid_file = tmp_path / "pids"
    done = replicheck(
        "hunt", "--node", node_arg(program("pidfile", "bad.py", "garbage")), "--node-count", "2",
        "--max-examples", "3", cwd=tmp_path, env={"NODE_PID_FILE": str(pid_file)},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "stdout line 1: not a JSON message" in done.stderr
    assert "'hello, I am starting up'" in done.stderr
    started = pids_in(pid_file)
    assert started and [p for p in started if pid_alive(p)] == []


@pytest.mark.parametrize(("nodes", "code"), [(1, 0), (3, 1)])
def test_every_node_is_reaped_after_the_command(program, tmp_path, pid_alive, nodes, code):
    """One stubborn node is a correct log (clean: exit 0); three disagree on offsets (exit 1,
    then the minimizer and the re-runs start many more processes)."""
    pid_file = tmp_path / "pids"
    done = replicheck(
        "hunt", "--node", node_arg(program("pidfile", "stubborn.py")), "--node-count", str(nodes),
        "--faults", "none", "--seed", "0", "--max-examples", "30", "--steps", "10",
        cwd=tmp_path, env={"NODE_PID_FILE": str(pid_file)},
    )  # fmt: skip
    assert done.returncode == code, done.stdout + done.stderr
    started = pids_in(pid_file)
    assert len(started) >= 3 * nodes
    assert [p for p in started if pid_alive(p)] == []


@pytest.mark.parametrize("after_pids", [3, 12, 30])  # during start-up, search, minimizing
def test_ctrl_c_reaps_every_node(program, tmp_path, pid_alive, after_pids):
    pid_file = tmp_path / "pids"
    proc = subprocess.Popen(
        [sys.executable, "-m", "replicheck", "hunt", "--node",
         node_arg(program("pidfile", "stubborn.py")), "--node-count", "3", "--faults", "none",
         "--max-examples", "10000"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NODE_PID_FILE": str(pid_file)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(pids_in(pid_file)) < after_pids and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(pids_in(pid_file)) >= after_pids, "the hunt never got going"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and "interrupted" in stderr
    started = pids_in(pid_file)
    assert [p for p in started if pid_alive(p)] == []


def test_replay_of_a_bad_node_case_exits_2_naming_the_file(tmp_path):
    case = tmp_path / "mine.case.json"
    case.write_text(json.dumps({"format": "replicheck-node-case", "version": 1, "command": []}))
    done = replicheck("replay", str(case), cwd=tmp_path)
    assert done.returncode == 2
    assert f"{case}: malformed node case: expected 'command'" in done.stderr


def test_without_seed_one_seed_is_drawn_and_kept():
    """The table, the search and the reproduce line must all use the same drawn seed."""
    from replicheck.commands.hunt_plan import HuntOptions, HuntPlan
    from replicheck.commands.hunt_reference import ReferenceSearch
    from replicheck.nodes.cli_hunt import NodeSearch
    from replicheck.stateful.runner import run_campaign

    options = HuntOptions(
        flaw=None, max_examples=None, seed=None, steps=None, report_dir=Path("reports"),
        profile="ci", workers=1, no_database=False, hypothesis_version=None, as_json=False,
    )  # fmt: skip
    search = NodeSearch(
        HuntPlan(options, ReferenceSearch, run_campaign), "./node -x", None, None, None
    )
    assert search.request is search.request
    assert f"--seed {search.request.seed} " in search.request.search_command()
    assert search.request.command == ["./node", "-x"] and search.request.node_count == 3
    assert (search.request.max_examples, search.request.steps) == (100, 20)
