"""Real runs end to end: simulate → report → case.json → replay (CLI, plugin, JUnit XML).

The scenario is the zoo's shortest known truncate-to-hw failure: b2 restarts and truncates
to its lagging high watermark, cutting the acknowledged `a`; the leader dies before b2
re-fetches, and b2 is elected.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from replicheck.cli import cli
from replicheck.impl import ClusterConfig
from replicheck.impl.zoo import get_flaw
from replicheck.report import write_report
from replicheck.report.case import history_sha256, load_case
from replicheck.stateful.replay import replay_case
from replicheck.stateful.scenario import Step, run_scenario

SRC = Path(__file__).resolve().parents[2] / "src"
STEPS = [
    Step("send", {"process": 0, "partition": 0, "message": "a"}),
    Step("crash", {"broker": 2}),
    Step("restart", {"broker": 2}),
    Step("crash", {"broker": 1}),
    Step("tick", {"ms": 200}),
]


@pytest.fixture(scope="module")
def flawed_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = get_flaw("truncate-to-hw").apply(ClusterConfig())
    result = run_scenario(config, 1, STEPS)
    assert result.violation, result.story()
    folder = write_report(result, tmp_path_factory.mktemp("reports"), command="replicheck hunt")
    return folder


@pytest.fixture(scope="module")
def correct_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = run_scenario(ClusterConfig(), 1, STEPS)
    assert not result.violation, result.story()
    return write_report(result, tmp_path_factory.mktemp("reports"))


def test_report_of_a_real_run(flawed_report: Path) -> None:
    assert flawed_report.name.startswith("truncate-to-hw-unseen-")
    md = (flawed_report / "report.md").read_text(encoding="utf-8")
    assert md.splitlines()[0].startswith("# VIOLATION: unseen")
    assert "### truncate-to-hw: Followers truncate to their own high watermark" in md
    assert "Source: KIP-101" in md
    assert "1. client 0 sends a to orders-0 → ok at offset 0" in md
    assert "2. broker 2 crashes (process killed; page cache survives) → ok" in md
    html = (flawed_report / "report.html").read_text(encoding="utf-8")
    assert '<rect class="band crash"' in html and 'class="marker truncate"' in html


def test_replay_is_bit_for_bit(flawed_report: Path) -> None:
    case = load_case(flawed_report / "case.json")
    result, reproduced = replay_case(load_case(flawed_report / "case.json"))
    assert reproduced
    assert history_sha256(result.history) == case.expected.history_sha256
    recorded = (flawed_report / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in recorded] == result.history


def test_replay_cli_exit_1_when_the_violation_reproduces(flawed_report: Path) -> None:
    done = CliRunner().invoke(cli, ["replay", str(flawed_report / "case.json")])
    assert done.exit_code == 1, done.output
    assert "history: bit-for-bit identical to the recorded run" in done.output
    # (the truncation also leaves an ISR member without a committed record: replica-invariant)
    assert "result: the recorded violation reproduces (replica-invariant, unseen)" in done.output
    assert "  1. client 0 sends a to orders-0  → ok at offset 0" in done.output


def test_replay_cli_json(flawed_report: Path) -> None:
    done = CliRunner().invoke(cli, ["replay", str(flawed_report), "--json"])
    assert done.exit_code == 1
    data = json.loads(done.output)
    assert data["violation"] is True and data["reproduced"] is True
    assert data["history_identical"] is True
    assert data["anomalies"] == ["replica-invariant", "unseen"]
    assert data["log_verdict"]["valid"] is False


def test_replay_cli_exit_0_when_nothing_violates(correct_report: Path) -> None:
    done = CliRunner().invoke(cli, ["replay", str(correct_report / "case.json")])
    assert done.exit_code == 0, done.output
    assert "result: no violation, as recorded" in done.output


def _edited_case(folder: Path, tmp_path: Path, edit) -> Path:
    data = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "edited.case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_replay_cli_exit_2_for_an_unknown_flaw(flawed_report: Path, tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["flaw"] = "truncate-to-hwm"
        data["config"]["flaws"] = ["truncate-to-hwm"]

    path = _edited_case(flawed_report, tmp_path, edit)
    done = CliRunner().invoke(cli, ["replay", str(path)])
    assert done.exit_code == 2
    assert f'error: {path}: unknown flaw "truncate-to-hwm" (known flaws: ' in done.output


def test_replay_cli_exit_2_for_an_unknown_step_or_bad_argument(
    flawed_report: Path, tmp_path: Path
) -> None:
    path = _edited_case(flawed_report, tmp_path, lambda d: d["steps"][1].update(kind="explode"))
    done = CliRunner().invoke(cli, ["replay", str(path)])
    assert done.exit_code == 2
    assert f'error: {path}: steps[1].kind: unknown step "explode"' in done.output

    path = _edited_case(flawed_report, tmp_path, lambda d: d["steps"][1]["args"].update(broker="2"))
    done = CliRunner().invoke(cli, ["replay", str(path)])
    assert done.exit_code == 2
    assert 'steps[1].args.broker: expected a broker id between 1 and 3, got "2"' in done.output

    path = _edited_case(flawed_report, tmp_path, lambda d: d["steps"][1]["args"].clear())
    done = CliRunner().invoke(cli, ["replay", str(path)])
    assert done.exit_code == 2
    assert "steps[1].args.broker: missing: a crash step needs it" in done.output

    path = _edited_case(flawed_report, tmp_path, lambda d: d["config"].update(acks="2"))
    done = CliRunner().invoke(cli, ["replay", str(path)])
    assert done.exit_code == 2
    assert 'config.acks: expected one of 0, 1, all, got "2"' in done.output


def _run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_plugin_passes_live_cases_and_junit_carries_the_story_of_a_failing_one(
    flawed_report: Path, correct_report: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    cases = project / "tests" / "regressions"
    cases.mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    shutil.copyfile(flawed_report / "case.json", cases / "truncate-to-hw.case.json")
    shutil.copyfile(correct_report / "case.json", cases / "correct.case.json")

    # The same steps recorded against acks-one: that flaw needs the leader to ack alone,
    # which never happens here, so "still detected" is false and the item fails.
    def edit(data: dict) -> None:
        data["flaw"] = "acks-one"
        data["config"] = get_flaw("acks-one").apply(ClusterConfig()).to_dict()

    stale = _edited_case(flawed_report, tmp_path, edit)
    shutil.copyfile(stale, cases / "stale.case.json")

    junit = tmp_path / "junit.xml"
    done = _run_pytest(project, "-q", f"--junitxml={junit}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 passed" in done.stdout and "1 failed" in done.stdout
    assert "regression case" in done.stdout and "Traceback" not in done.stdout

    testcases = {
        case.get("classname", "") + "::" + case.get("name", ""): case
        for case in ET.parse(junit).getroot().iter("testcase")
    }
    failed = [c for c in testcases.values() if c.find("failure") is not None]
    assert len(failed) == 1
    failure = failed[0].find("failure")
    assert failure.get("message", "").endswith("flaw acks-one is no longer detected as recorded")
    text = failure.text or ""
    assert "flaw acks-one is no longer detected as recorded" in text
    assert "  recorded: replica-invariant, unseen" in text
    assert "  1. client 0 sends a to orders-0  → ok at offset 0" in text
    assert "  4. broker 1 crashes (process killed; page cache survives)" in text


def test_replay_cli_can_write_a_fresh_report(flawed_report: Path, tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli, ["replay", str(flawed_report / "case.json"), "--report-dir", str(tmp_path)]
    )
    assert done.exit_code == 1
    folder = tmp_path / flawed_report.name  # same scenario, same folder name
    assert done.output.splitlines()[-1] == f"report: {folder}"
    assert (folder / "case.json").read_bytes() == (flawed_report / "case.json").read_bytes()
    assert (folder / "history.jsonl").read_bytes() == (flawed_report / "history.jsonl").read_bytes()
