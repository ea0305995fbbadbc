"""`replicheck hunt --node 'CMD ARGS…'`: the search over a user's node processes, as a command.

Exit codes, as `hunt` has them: 0 no violation within the budget, 1 a violation (found,
minimized, printed, reported -- even if the report folder could not be written), 2 a usage
error or a node that cannot take part (a `NodeError`: the message names the node and the
stdout line), 130 interrupted (cli.py's guard). Every node process is reaped before this
returns or raises (`search.hunt` closes its runner in a `finally`), also on Ctrl-C.

The finding is printed before the report is written: it must survive a report folder that
fails at the last moment.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from replicheck.nodes.case import NodeCase, case_from_hunt
from replicheck.nodes.errors import NodeError
from replicheck.nodes.page import PageFacts
from replicheck.nodes.report import write_report
from replicheck.nodes.search import HuntResult, hunt, parse_faults
from replicheck.nodes.target import NodeRun

WORKLOADS = ("kafka",)
DEFAULT_MAX_EXAMPLES = 100
DEFAULT_STEPS = 20
EXIT_CLEAN, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class NodeHuntRequest:
    """Everything `hunt --node` was asked for, checked (see `parse_request`)."""

    command: list[str]
    node_count: int
    workload: str
    faults: tuple[str, ...]
    seed: int
    max_examples: int
    steps: int
    report_dir: Path

    def search_command(self) -> str:
        """The `replicheck hunt` command line that repeats this search."""
        parts = ["replicheck", "hunt", "--node", shlex.join(self.command)]
        parts += ["--node-count", str(self.node_count), "--workload", self.workload]
        parts += ["--faults", ",".join(self.faults) or "none", "--seed", str(self.seed)]
        parts += ["--max-examples", str(self.max_examples), "--steps", str(self.steps)]
        return shlex.join(parts)


class UsageProblem(Exception):
    """A `hunt --node` argument that cannot be used; the text says which and why."""


def parse_request(
    node: str,
    node_count: int | None,
    workload: str | None,
    faults: str | None,
    seed: int | None,
    max_examples: int | None,
    steps: int | None,
    report_dir: Path,
) -> NodeHuntRequest:
    try:
        command = shlex.split(node)
    except ValueError as exc:
        raise UsageProblem(f"--node {node!r}: {exc}") from None
    if not command:
        raise UsageProblem("--node needs a command (e.g. --node './my-node --flag')")
    if workload not in (None, *WORKLOADS):
        raise UsageProblem(f"--workload {workload!r}: only {', '.join(WORKLOADS)} is supported")
    try:
        chosen = parse_faults(faults) if faults is not None else None
    except ValueError as exc:
        raise UsageProblem(f"--faults: {exc}") from None
    from replicheck.nodes.search import DEFAULT_FAULTS

    return NodeHuntRequest(
        command=command,
        node_count=node_count if node_count is not None else 3,
        workload=workload or "kafka",
        faults=chosen if chosen is not None else DEFAULT_FAULTS,
        seed=seed if seed is not None else secrets.randbelow(2**31),
        max_examples=max_examples or DEFAULT_MAX_EXAMPLES,
        steps=steps or DEFAULT_STEPS,
        report_dir=report_dir,
    )


# -- the summary (hunt --json) ---------------------------------------------------------------


def hunt_summary(
    request: NodeHuntRequest,
    result: HuntResult | None,
    *,
    report: Path | None = None,
    report_error: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The machine-readable summary: the fields the reference cluster's `hunt --json` has
    (target, result, anomalies, examples, steps, seed, report), plus the node specifics."""
    if error is not None or result is None:
        outcome = "error"
    else:
        outcome = "violation" if result.violation else "clean"
    data: dict[str, Any] = {
        "target": {
            "kind": "nodes",
            "command": request.command,
            "node_count": request.node_count,
            "workload": request.workload,
        },
        "result": outcome,
        "exit_code": {"clean": EXIT_CLEAN, "violation": EXIT_VIOLATION}.get(outcome, EXIT_USAGE),
        "anomalies": result.anomalies if result else [],
        "examples": result.examples if result else 0,
        "max_examples": request.max_examples,
        "steps": result.steps_run if result else 0,
        "steps_per_example": request.steps,
        "seed": request.seed,
        "faults": list(request.faults),
        "elapsed_s": round(result.elapsed_s, 3) if result else None,
        "first_failure_s": None
        if result is None or result.detect_s is None
        else round(result.detect_s, 3),
        "minimized_steps": len(result.minimized) if result and result.violation else None,
        "reproduced": list(result.reproduced) if result and result.violation else None,
        "reproduce_command": request.search_command(),
        "report": None if report is None else str(report),
        "report_error": report_error,
        "error": error,
    }
    if report is not None:
        data["replay_command"] = f"replicheck replay {shlex.quote(str(report / 'case.json'))}"
    return data


# -- printing ----------------------------------------------------------------------------------


def _table(request: NodeHuntRequest, result: HuntResult) -> Table:
    table = Table(title="replicheck hunt --node", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    search_s = result.detect_s if result.detect_s is not None else result.elapsed_s
    rate = f"{result.examples / max(search_s, 1e-9):.1f} examples/s, "
    rate += f"{result.steps_run / max(search_s, 1e-9):.0f} steps/s"
    elapsed = f"{result.elapsed_s:.1f} s (search {search_s:.1f} s: {rate}"
    if result.violation:
        elapsed += f"; minimizing and re-runs {result.elapsed_s - search_s:.1f} s"
    elapsed += ")"
    rows = [
        ("target", f"{request.node_count} × {shlex.join(request.command)}"),
        ("workload", request.workload),
        ("faults", ", ".join(request.faults) or "none"),
        ("seed", str(request.seed)),
        ("examples run", f"{result.examples} (budget {request.max_examples})"),
        ("minimizer re-runs", str(result.minimize_runs)),
        ("steps run", str(result.steps_run)),
        ("elapsed", elapsed),
    ]
    if result.violation:
        found = f"[red]VIOLATION[/]: {', '.join(result.anomalies)}"
        if result.detect_s is not None:
            found += f" (first seen after {result.detect_s:.1f} s)"
        rows.append(("result", found))
    else:
        rows.append(("result", "[green]no violation[/]"))
    for key, value in rows:
        table.add_row(key, value)
    return table


def shown_run(result: HuntResult) -> NodeRun:
    """The run to show: the minimized steps' first failing re-run, else the found run."""
    run = result.minimized_run or result.found
    assert run is not None
    return run


def _print_violation(console: Console, result: HuntResult) -> None:
    run = shown_run(result)
    k, n = result.reproduced
    rate = f"reproduced {k}/{n} re-runs" if n else "not re-run"
    console.print(
        f"\n[bold red]Violation found[/] and minimized to {len(result.minimized)} steps ({rate}):"
    )
    if result.minimized_run is None and result.minimized != run.steps:
        for number, step in enumerate(result.minimized, 1):
            console.print(Text(f"{number:>3}. {step.describe()}"))
        console.print(
            Text(f"(no re-run of them failed; the run as found, {len(run.steps)} steps:)")
        )
    for line in run.story().splitlines():
        console.print(Text(f"  {line}"))
    console.print(
        Text("     then: network heals, paused nodes resume, final read of every key from 0")
    )
    console.print(Text(run.verdict.render_text()))


def _report(request: NodeHuntRequest, result: HuntResult) -> tuple[Path | None, str | None]:
    case: NodeCase = case_from_hunt(result, found_by=request.search_command())
    facts = PageFacts(
        title=", ".join(result.anomalies),
        reproduced=result.reproduced if result.reproduced[1] else None,
        search_command=request.search_command(),
        found_steps=len(result.found.steps) if result.found else None,
        examples=result.examples,
    )
    try:
        folder = write_report(
            shown_run(result), request.report_dir, case, facts, found=result.found
        )
    except OSError as exc:
        return None, f"{exc.filename or request.report_dir}: {exc.strerror or exc}"
    return folder, None


# -- the command -------------------------------------------------------------------------------


def _error(request: NodeHuntRequest | None, text: str, as_json: bool, tail: str = "") -> int:
    click.echo(f"error: {text}", err=True)
    if tail:
        click.echo("its stderr (last lines):\n" + tail, err=True)
    if as_json and request is not None:
        import json

        click.echo(json.dumps(hunt_summary(request, None, error=text), indent=2, sort_keys=True))
    return EXIT_USAGE


def run_node_hunt(
    node: str,
    *,
    node_count: int | None = None,
    workload: str | None = None,
    faults: str | None = None,
    seed: int | None = None,
    max_examples: int | None = None,
    steps: int | None = None,
    report_dir: Path = Path("reports"),
    as_json: bool = False,
    ignored: Sequence[str] = (),
) -> int:
    """Run `hunt --node`; return the exit code. `ignored` names reference-cluster options
    that were given and mean nothing here (a note says so)."""
    import json

    from replicheck.nodes.cli_progress import progress

    try:
        request = parse_request(
            node, node_count, workload, faults, seed, max_examples, steps, report_dir
        )
    except UsageProblem as exc:
        return _error(None, str(exc), as_json)
    from replicheck.stateful.runner import report_dir_problem

    problem = report_dir_problem(request.report_dir)
    if problem:
        return _error(request, f"--report-dir {problem}", as_json)
    for name in ignored:
        click.echo(f"note: {name} applies to the reference cluster; ignored with --node", err=True)
    console = Console(highlight=False, soft_wrap=True)
    try:
        with progress(request, enabled=not as_json) as on_example:
            result = hunt(
                request.command,
                request.node_count,
                faults=request.faults,
                max_examples=request.max_examples,
                max_steps=request.steps,
                seed=request.seed,
                on_example=on_example,
            )
    except NodeError as exc:
        return _error(request, exc.render(), as_json, exc.stderr_tail)
    folder, report_error = None, None
    if not as_json:
        console.print(_table(request, result))
    if result.violation:
        if not as_json:
            _print_violation(console, result)
        folder, report_error = _report(request, result)
    if as_json:
        summary = hunt_summary(request, result, report=folder, report_error=report_error)
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    elif result.violation:
        if folder is not None:
            console.print(
                Text(f"Replay: replicheck replay {shlex.quote(str(folder / 'case.json'))}")
            )
            console.print(Text(f"Report: {folder}"))
        console.print(Text(f"Search again: {request.search_command()}"))
    else:
        console.print(
            f"[green]No violation found[/] in {result.examples} examples (seed {request.seed}). "
            f"Reproduce: {request.search_command()}"
        )
    if report_error is not None:
        click.echo(f"error: could not write the report: {report_error}", err=True)
    return EXIT_VIOLATION if result.violation else EXIT_CLEAN
