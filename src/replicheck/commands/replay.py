"""`replicheck replay CASE`: run a saved case again, bit-for-bit, and print the verdict.

Exit codes: 1 when the run shows a violation (the recorded one reproduces), 0 when it no
longer does, 2 when the case file cannot be used (the message names the file and field) or
the report folder cannot be written (and the run showed no violation: a violation is
exit 1 even then, after the verdict has been printed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from replicheck.report import summary, write_report
from replicheck.report.case import (
    Case,
    CaseError,
    has_violation,
    history_sha256,
    load_case,
    violation_names,
)
from replicheck.stateful.replay import replay_case
from replicheck.stateful.runner import report_dir_problem
from replicheck.stateful.scenario import RunResult


def _verdict_json(result: RunResult) -> dict[str, Any]:
    verdict: dict[str, Any] = result.log_verdict.to_json()
    return verdict


@dataclass
class _Replayed:
    """One replay and how it compares with the recording."""

    case: Case
    result: RunResult
    reproduced: bool
    violation: bool
    digest: str
    identical: bool | None  # None: the case records no hash
    folder: Path | None = None
    report_error: str | None = None

    def write(self, report_dir: Path | None) -> None:
        if report_dir is None:
            return
        try:
            self.folder = write_report(self.result, report_dir)
        except OSError as error:
            self.report_error = f"{error.filename or report_dir}: {error.strerror or error}"


def _load(case_path: Path, report_dir: Path | None) -> Case:
    """The validated case (exit 2 with the message for an unusable file or folder)."""
    try:
        case = load_case(case_path)
    except CaseError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(2) from None
    problem = None if report_dir is None else report_dir_problem(report_dir)
    if problem:
        click.echo(f"error: --report-dir {problem}", err=True)
        raise click.exceptions.Exit(2)
    return case


def _replay(case: Case) -> _Replayed:
    try:
        result, reproduced = replay_case(case)
    except CaseError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(2) from None
    digest = history_sha256(result.history)
    recorded = case.expected.history_sha256
    return _Replayed(
        case=case,
        result=result,
        reproduced=reproduced,
        violation=has_violation(result),
        digest=digest,
        identical=None if recorded is None else digest == recorded,
    )


def _echo_json(run: _Replayed) -> None:
    case, result = run.case, run.result
    outcome = {
        "case": str(case.path),
        "flaw": case.flaw,
        "seed": case.seed,
        "steps": len(case.steps),
        "violation": run.violation,
        "reproduced": run.reproduced,
        "anomalies": list(violation_names(result)),
        "expected_anomalies": list(case.expected.anomalies),
        "history_sha256": run.digest,
        "history_identical": run.identical,
        "invariant_violations": [
            {"step": number, "text": text} for number, text in result.invariant_violations
        ],
        "log_verdict": _verdict_json(result),
        "report": None if run.folder is None else str(run.folder),
        "report_error": run.report_error,
    }
    click.echo(json.dumps(outcome, indent=2, sort_keys=True))


def _echo_text(run: _Replayed) -> None:
    case = run.case
    click.echo(f"replaying {case.path}")
    click.echo(summary.story(run.result), nl=False)
    click.echo("")
    if run.identical is None:
        click.echo("history: the case records no hash to compare against")
    elif run.identical:
        click.echo(f"history: bit-for-bit identical to the recorded run (sha256 {run.digest[:12]})")
    else:
        click.echo(
            "history: DIFFERS from the recorded run (the implementation or checker changed"
            " since the case was recorded)"
        )
    expected = ", ".join(case.expected.anomalies) or "no violation"
    if run.reproduced:
        click.echo(f"result: the recorded violation reproduces ({expected})")
    elif run.violation:
        click.echo(f"result: a violation, but not the recorded one (recorded: {expected})")
    elif case.expected.violation:
        click.echo(f"result: the recorded violation no longer reproduces (recorded: {expected})")
    else:
        click.echo("result: no violation, as recorded")


@click.command(name="replay")
@click.argument("case_path", metavar="CASE", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write a report folder (report.md, report.html, ...) for the replayed run.",
)
def replay(case_path: Path, as_json: bool, report_dir: Path | None) -> None:
    """Replay a regression case (case.json, or a report folder) and print the verdict.

    Exit 1 if the violation reproduces, 0 if it no longer does, 2 for a bad case file.
    """
    run = _replay(_load(case_path, report_dir))
    if as_json:
        run.write(report_dir)  # the JSON names the report folder
        _echo_json(run)
    else:
        _echo_text(run)
        run.write(report_dir)
        if run.folder is not None:
            click.echo(f"report: {run.folder}")
    if run.report_error is not None:
        click.echo(f"error: could not write the report: {run.report_error}", err=True)
    raise click.exceptions.Exit(1 if run.violation else (2 if run.report_error else 0))
