"""`replicheck hunt --json`: one JSON object on stdout, the same exit codes, and the
extension seam (`hunt_extension`) that adds options without touching hunt's flow."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path

import click
import hypothesis
from click.testing import CliRunner

from replicheck import __version__
from replicheck.cli import cli
from replicheck.commands.hunt import core_options, run_hunt
from replicheck.commands.hunt_plan import HuntPlan, hunt_extension
from replicheck.report.case import load_case
from replicheck.stateful.runner import CampaignResult, run_campaign

FIELDS = [
    "format", "version", "target", "result", "anomalies", "examples", "max_examples",
    "steps", "scenario_steps", "seed", "failing_seed", "report", "report_error",
    "reproduce", "elapsed_s", "engine", "exit_code",
]  # fmt: skip


def _hunt_json(*args: str) -> tuple[int, dict[str, object], str]:
    done = CliRunner().invoke(cli, ["hunt", "--json", "--no-database", *args])
    data = json.loads(done.stdout)  # stdout holds the JSON object and nothing else
    return done.exit_code, data, done.stderr


def test_a_found_flaw_is_summarized_for_ci(tmp_path: Path) -> None:
    code, data, stderr = _hunt_json(
        "--flaw", "acks-one", "--seed", "2", "--max-examples", "1500", "--steps", "30",
        "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 1 == data["exit_code"]
    assert list(data) == FIELDS
    assert data["format"] == "replicheck-hunt" and data["version"] == 1
    target = data["target"]
    assert isinstance(target, dict)
    assert target["kind"] == "reference-cluster" and target["flaw"] == "acks-one"
    assert data["result"] == "violation"
    assert data["seed"] == 2 and data["failing_seed"] == 2
    assert data["engine"] == {"replicheck": __version__, "hypothesis": hypothesis.__version__}
    # the human story still goes out, on stderr, and says the same things
    assert "Violation found and shrunk to" in stderr
    assert f"Reproduce: {data['reproduce']}" in stderr
    assert f"Report: {data['report']}" in stderr
    case = load_case(Path(str(data["report"])))
    assert list(case.expected.anomalies) == sorted(data["anomalies"])  # type: ignore[arg-type]
    assert case.expected.violation
    assert data["scenario_steps"] == len(case.steps)
    assert isinstance(data["examples"], int) and 1 <= data["examples"] <= 1500
    assert isinstance(data["steps"], int) and data["steps"] >= len(case.steps)


def test_nothing_found_is_clean_with_no_report(tmp_path: Path) -> None:
    code, data, stderr = _hunt_json(
        "--seed", "3", "--max-examples", "5", "--steps", "5", "--report-dir", str(tmp_path)
    )
    assert code == 0 == data["exit_code"]
    assert data["result"] == "clean" and data["anomalies"] == []
    assert data["report"] is None and data["report_error"] is None
    assert data["scenario_steps"] is None and data["failing_seed"] is None
    assert data["examples"] == 5 and data["max_examples"] == 5
    assert data["reproduce"] == (
        "replicheck hunt --seed 3 --max-examples 5 --steps 5 "
        f"--hypothesis-version {hypothesis.__version__}"
    )
    assert "No violation found" in stderr
    assert not any(tmp_path.iterdir())


def test_a_usage_error_prints_no_json(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("not a folder")
    for args in (["--flaw", "no-such-flaw"], ["--report-dir", str(plain / "reports")]):
        done = CliRunner().invoke(cli, ["hunt", "--json", "--max-examples", "1", *args])
        assert done.exit_code == 2, done.output
        assert done.stdout == ""


def _cap(cap: int) -> object:
    """A campaign runner that spends at most `cap` examples (a real, smaller campaign)."""

    def capped(*args: object, **kwargs: object) -> CampaignResult:
        asked = kwargs.get("max_examples")
        kwargs["max_examples"] = min(cap, asked) if isinstance(asked, int) else cap
        return run_campaign(*args, **kwargs)  # type: ignore[arg-type]

    return capped


def _adjust(plan: HuntPlan, values: Mapping[str, object]) -> HuntPlan:
    cap = values["examples_cap"]
    if cap is None:
        return plan
    assert isinstance(cap, int)
    return dataclasses.replace(plan, run_campaign=_cap(cap))  # type: ignore[arg-type]


cap_options = hunt_extension(
    click.option("--examples-cap", type=int, help="Spend at most N examples."),
    click.option("--unused-flag", is_flag=True, help="An option the plan ignores."),
    adjust=_adjust,
)


@click.command(name="hunt")
@core_options
@cap_options
def extended_hunt(plan: HuntPlan) -> None:
    raise SystemExit(run_hunt(plan))


def test_an_extension_adds_options_and_changes_the_plan(tmp_path: Path) -> None:
    help_text = CliRunner().invoke(extended_hunt, ["--help"]).output
    assert (
        help_text.index("--flaw")
        < help_text.index("--json")
        < help_text.index("--examples-cap")
        < help_text.index("--unused-flag")
    )
    args = ["--json", "--no-database", "--seed", "3", "--max-examples", "50", "--steps", "5"]
    args += ["--report-dir", str(tmp_path), "--examples-cap", "4"]
    done = CliRunner().invoke(extended_hunt, args)
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["max_examples"] == 4 and data["examples"] == 4
    plain = CliRunner().invoke(extended_hunt, args[:-2])
    assert json.loads(plain.stdout)["max_examples"] == 50
