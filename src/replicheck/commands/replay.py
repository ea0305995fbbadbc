"""`replicheck replay CASE`: run a saved case again, bit-for-bit, and print the verdict.

Exit codes: 1 when the run shows a violation (the recorded one reproduces), 0 when it no
longer does, 2 when the case file cannot be used (the message names the file and field) or
the report folder cannot be written (and the run showed no violation: a violation is
exit 1 even then, after the verdict has been printed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from replicheck.nodes.cli_options import node_replay_options
from replicheck.report import summary, write_report
from replicheck.report.case import (
    CaseError,
    has_violation,
    history_sha256,
    load_case,
    replay_case,
    violation_names,
)


def _verdict_json(result: Any) -> Any:
    verdict = result.log_verdict
    if verdict is None or not hasattr(verdict, "to_json"):
        return None
    data = verdict.to_json()
    return json.loads(data) if isinstance(data, str | bytes) else data


@click.command(name="replay")
@node_replay_options
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
    from replicheck.stateful.runner import report_dir_problem

    try:
        case = load_case(case_path)
    except CaseError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(2) from None
    problem = None if report_dir is None else report_dir_problem(report_dir)
    if problem:
        click.echo(f"error: --report-dir {problem}", err=True)
        raise click.exceptions.Exit(2)
    try:
        result, reproduced = replay_case(case)
    except CaseError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(2) from None
    violation = has_violation(result)
    digest = history_sha256(result.history)
    folder: Path | None = None
    report_error: str | None = None

    def write() -> None:
        nonlocal folder, report_error
        if report_dir is None:
            return
        try:
            folder = write_report(result, report_dir)
        except OSError as error:
            report_error = f"{error.filename or report_dir}: {error.strerror or error}"

    identical = (
        None if case.expected.history_sha256 is None else (digest == case.expected.history_sha256)
    )
    if as_json:
        write()
        click.echo(
            json.dumps(
                {
                    "case": str(case.path),
                    "flaw": case.flaw,
                    "seed": case.seed,
                    "steps": len(case.steps),
                    "violation": violation,
                    "reproduced": reproduced,
                    "anomalies": list(violation_names(result)),
                    "expected_anomalies": list(case.expected.anomalies),
                    "history_sha256": digest,
                    "history_identical": identical,
                    "invariant_violations": [
                        {"step": number, "text": text}
                        for number, text in result.invariant_violations
                    ],
                    "log_verdict": _verdict_json(result),
                    "report": None if folder is None else str(folder),
                    "report_error": report_error,
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        click.echo(f"replaying {case.path}")
        click.echo(summary.story(result), nl=False)
        click.echo("")
        if identical is None:
            click.echo("history: the case records no hash to compare against")
        elif identical:
            click.echo(f"history: bit-for-bit identical to the recorded run (sha256 {digest[:12]})")
        else:
            click.echo(
                "history: DIFFERS from the recorded run (the implementation or checker changed"
                " since the case was recorded)"
            )
        expected = ", ".join(case.expected.anomalies) or "no violation"
        if reproduced:
            click.echo(f"result: the recorded violation reproduces ({expected})")
        elif violation:
            click.echo(f"result: a violation, but not the recorded one (recorded: {expected})")
        elif case.expected.violation:
            click.echo(
                f"result: the recorded violation no longer reproduces (recorded: {expected})"
            )
        else:
            click.echo("result: no violation, as recorded")
        write()
        if folder is not None:
            click.echo(f"report: {folder}")
    if report_error is not None:
        click.echo(f"error: could not write the report: {report_error}", err=True)
    raise click.exceptions.Exit(1 if violation else (2 if report_error else 0))
