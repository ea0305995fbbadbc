"""`replicheck replay CASE` for a node case: re-run it N times, say how often it reproduced.

Node processes are not deterministic, so a node case cannot be replayed bit for bit; the
honest answer is a rate ("reproduced 9/10"). Exit codes follow `replay`: 1 when some re-run
shows a violation, 0 when none does, 2 when the case cannot be used (the message names the
file and field), a node cannot take part (the message names the node), or the report folder
cannot be written (and no re-run showed a violation). Every node process is reaped before
this returns, also on Ctrl-C.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click

from replicheck.nodes.artifacts import story_text
from replicheck.nodes.case import CaseReplay, NodeCaseError, load_case, replay_case
from replicheck.nodes.errors import NodeError
from replicheck.nodes.interrupts import remembered_interrupts
from replicheck.nodes.page import PageFacts
from replicheck.nodes.report import write_report

EXIT_CLEAN, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2


def replay_summary(
    path: Path, outcome: CaseReplay, report: Path | None, report_error: str | None
) -> dict[str, Any]:
    case = outcome.case
    return {
        "case": str(path),
        "target": {"kind": "nodes", "command": case.command, "node_count": case.node_count},
        "seed": case.seed,
        "steps": len(case.steps),
        "runs": outcome.runs,
        "reproduced": outcome.reproduced,
        "violations": outcome.violations,
        "violation": outcome.violations > 0,
        "anomaly_counts": dict(sorted(outcome.anomaly_counts.items())),
        "anomalies": sorted(outcome.anomaly_counts),
        "expected_anomalies": case.expected_anomalies,
        "expected_reproduced": list(case.expected_reproduced),
        "expect": case.expect,
        "report": None if report is None else str(report),
        "report_error": report_error,
    }


def _result_line(outcome: CaseReplay) -> str:
    case = outcome.case
    recorded = ", ".join(case.expected_anomalies) or "any violation"
    k, n = case.expected_reproduced
    when = f"; {k}/{n} when it was found" if n else ""
    if outcome.reproduced:
        return f"result: {outcome.summary_line()} -- recorded: {recorded}{when}"
    if outcome.violations:
        return (
            f"result: a violation in {outcome.violations}/{outcome.runs} re-runs, but not the "
            f"recorded one ({outcome.summary_line()}; recorded: {recorded})"
        )
    return f"result: reproduced 0/{outcome.runs}: no re-run violated (recorded: {recorded}{when})"


def _write(
    outcome: CaseReplay, report_dir: Path | None, path: Path
) -> tuple[Path | None, str | None]:
    run = outcome.shown
    if report_dir is None or run is None:
        return None, None
    facts = PageFacts(
        title=", ".join(run.verdict.anomaly_names) or "no violation",
        reproduced=(outcome.reproduced, outcome.runs),
        search_command=outcome.case.found_by,
    )
    try:
        return write_report(run, report_dir, outcome.case, facts), None
    except OSError as exc:
        return None, f"{exc.filename or report_dir}: {exc.strerror or exc}"


def run_node_replay(
    path: Path, *, runs: int | None = None, as_json: bool = False, report_dir: Path | None = None
) -> int:
    """Replay the node case at `path` (a file or a report folder); return the exit code."""
    from replicheck.stateful.runner import report_dir_problem

    try:
        case = load_case(path)
    except NodeCaseError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    problem = None if report_dir is None else report_dir_problem(report_dir)
    if problem:
        click.echo(f"error: --report-dir {problem}", err=True)
        return EXIT_USAGE
    total = runs or case.replay_runs
    if not as_json:
        click.echo(
            f"replaying {case.path} {total} times: {case.node_count} × "
            f"{shlex.join(case.command)}, {len(case.steps)} steps, seed {case.seed}"
        )
    try:
        with remembered_interrupts() as interrupted:
            outcome = replay_case(case, total, stop=interrupted)
    except NodeError as exc:
        click.echo(f"error: {exc.render()}", err=True)
        if exc.stderr_tail:
            click.echo("its stderr (last lines):\n" + exc.stderr_tail, err=True)
        return EXIT_USAGE
    folder, report_error = _write(outcome, report_dir, path)
    if as_json:
        summary = replay_summary(path, outcome, folder, report_error)
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    else:
        shown = outcome.shown
        if shown is not None:
            which = "the first failing re-run" if outcome.first_failing else "the last re-run"
            click.echo(f"{which}:")
            click.echo(story_text(shown), nl=False)
        click.echo(_result_line(outcome))
        if folder is not None:
            click.echo(f"report: {folder}")
    if report_error is not None:
        click.echo(f"error: could not write the report: {report_error}", err=True)
    if outcome.violations:
        return EXIT_VIOLATION
    return EXIT_USAGE if report_error else EXIT_CLEAN
