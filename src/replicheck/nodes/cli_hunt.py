"""`replicheck hunt --node 'CMD ARGS…'`: the node target's `Search` for hunt's flow.

`hunt` (commands/hunt.py) checks, searches, prints the table and the finding, writes the
report and the `--json` summary through the `Search` / `HuntOutcome` protocols of
commands/hunt_plan.py; `NodeSearch` and `NodeOutcome` are the node target's side of them,
over `search.hunt`. Exit codes are hunt's: 0 no violation within the budget, 1 a violation
(found, minimized, printed, reported -- even if the report folder could not be written), 2
a usage error or a node that cannot take part (a `NodeError` becomes `SearchStartError`:
the message names the node and the stdout line), 130 interrupted (cli.py's guard). Every
node process is reaped before `run` returns or raises (`search.hunt` closes its runner in a
`finally`), also on Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

import click
import hypothesis
from click.core import ParameterSource
from rich.console import Console
from rich.text import Text

from replicheck.commands.hunt_plan import (
    CLEAN,
    VIOLATION,
    HuntPlan,
    HuntSummary,
    ProgressCallback,
    SearchStartError,
)
from replicheck.commands.report_folder import ReportFolder
from replicheck.nodes.case import NodeCase, case_from_hunt
from replicheck.nodes.errors import NodeError
from replicheck.nodes.interrupts import remembered_interrupts
from replicheck.nodes.page import PageFacts
from replicheck.nodes.report import report_name, write_report
from replicheck.nodes.search import HuntResult, hunt, parse_faults
from replicheck.nodes.steps import FAULT_KINDS
from replicheck.nodes.target import NodeRun
from replicheck.stateful.runner import Progress as CampaignProgress

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


# -- printing ----------------------------------------------------------------------------------


def table_rows(request: NodeHuntRequest, result: HuntResult) -> list[tuple[str, str]]:
    """The rows of hunt's summary table after `target` (rich markup)."""
    search_s = result.detect_s if result.detect_s is not None else result.elapsed_s
    rate = f"{result.examples / max(search_s, 1e-9):.1f} examples/s, "
    rate += f"{result.steps_run / max(search_s, 1e-9):.0f} steps/s"
    elapsed = f"{result.elapsed_s:.1f} s (search {search_s:.1f} s: {rate}"
    if result.violation:
        elapsed += f"; minimizing and re-runs {result.elapsed_s - search_s:.1f} s"
    elapsed += ")"
    rows = [
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
    return rows


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


# -- hunt's Search and HuntOutcome for node targets -------------------------------------------

#: `target.kind` of a node hunt in the `--json` summary
NODES_KIND = "nodes"
#: reference-cluster options that mean nothing for node processes (a note says so)
IGNORED_WITH_NODE = {
    "profile": "--profile",
    "workers": "--workers",
    "no_database": "--no-database",
    "hypothesis_version": "--hypothesis-version",
}


@dataclass(frozen=True)
class NodeSummary(HuntSummary):
    """hunt's summary plus what only a node hunt knows: how often the minimized steps
    reproduced (`[k, n]`) and the command that replays the case."""

    reproduced: list[int] | None = None
    replay: str | None = None

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "reproduced": self.reproduced, "replay": self.replay}


@dataclass(frozen=True)
class NodeSearch:
    """Search a user's node processes; built by `cli_options.node_options`."""

    plan: HuntPlan
    node: str
    node_count: int | None
    workload: str | None
    faults: str | None

    @functools.cached_property
    def request(self) -> NodeHuntRequest:
        """Parsed once: without --seed the seed is drawn here, and must stay the same."""
        o = self.plan.options
        try:
            return parse_request(
                self.node, self.node_count, self.workload, self.faults, o.seed,
                o.max_examples, o.steps, o.report_dir,
            )  # fmt: skip
        except UsageProblem as exc:
            raise click.UsageError(str(exc)) from None

    @property
    def target(self) -> str:
        request = self.request
        return f"{request.node_count} × {shlex.join(request.command)}"

    @property
    def label(self) -> str:
        return f"{self.node_count or 3} node(s)"

    def check(self) -> None:
        options = self.plan.options
        if options.flaw:
            raise click.UsageError("--flaw selects a reference-cluster flaw; not with --node")
        assert self.request.node_count >= 1  # parsing raises a UsageError for bad options
        ctx = click.get_current_context(silent=True)
        for name, flag in IGNORED_WITH_NODE.items():
            if ctx is not None and ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE:
                click.echo(
                    f"note: {flag} applies to the reference cluster; ignored with --node", err=True
                )

    def run(self, progress: ProgressCallback) -> NodeOutcome:
        request = self.request
        examples, steps, faults = 0, 0, 0
        started = time.monotonic()

        def on_example(run: NodeRun) -> None:
            nonlocal examples, steps, faults
            examples += 1
            steps += len(run.steps)
            faults += sum(1 for s in run.steps if s.kind in FAULT_KINDS)
            snapshot = CampaignProgress(
                examples, request.max_examples, steps, faults, time.monotonic() - started,
                found=run.violation, shrinking=run.violation,
            )  # fmt: skip
            progress(snapshot)

        try:
            with remembered_interrupts() as interrupted:
                result = hunt(
                    request.command, request.node_count, faults=request.faults,
                    max_examples=request.max_examples, max_steps=request.steps,
                    seed=request.seed, on_example=on_example, stop=interrupted,
                )  # fmt: skip
        except NodeError as exc:
            text = exc.render()
            if exc.stderr_tail:
                text += "\nits stderr (last lines):\n" + exc.stderr_tail
            raise SearchStartError(text) from None
        return NodeOutcome(request, result)


@dataclass(frozen=True)
class NodeOutcome:
    """A finished node hunt, as `hunt` prints, writes up and summarizes it."""

    request: NodeHuntRequest
    result: HuntResult

    def case(self) -> NodeCase:
        return case_from_hunt(self.result, found_by=self.request.search_command())

    @property
    def exit_code(self) -> int:
        return EXIT_VIOLATION if self.result.violation else EXIT_CLEAN

    @property
    def examples(self) -> int:
        return self.result.examples

    @property
    def max_examples(self) -> int:
        return self.request.max_examples

    def table_rows(self) -> list[tuple[str, str]]:
        return table_rows(self.request, self.result)

    def print_finding(self, console: Console) -> None:
        if self.result.violation:
            _print_violation(console, self.result)
            folder = self.request.report_dir / report_name(self.case(), shown_run(self.result))
            replay = shlex.quote(str(folder / "case.json"))
            console.print(Text(f"Replay: replicheck replay {replay}"))
            console.print(Text(f"Search again: {self.request.search_command()}"))
        else:
            console.print(
                f"[green]No violation found[/] in {self.result.examples} examples "
                f"(seed {self.request.seed}). Reproduce: {self.request.search_command()}"
            )

    def write_report(self, report_dir: Path) -> ReportFolder | None:
        if not self.result.violation:
            return None
        request = dataclasses.replace(self.request, report_dir=report_dir)
        folder, error = _report(request, self.result)
        return ReportFolder(folder, error)

    def summary(self, report: ReportFolder | None) -> NodeSummary:
        result, request = self.result, self.request
        run = shown_run(result) if result.violation else None
        folder = None if report is None or report.path is None else report.path
        return NodeSummary(
            target={
                "kind": NODES_KIND, "command": request.command,
                "node_count": request.node_count, "workload": request.workload,
                "faults": list(request.faults),
            },
            result=VIOLATION if result.violation else CLEAN,
            anomalies=run.verdict.ranked_anomaly_names if run is not None else [],
            examples=result.examples,
            max_examples=request.max_examples,
            steps=result.steps_run,
            seed=request.seed,
            reproduce=request.search_command(),
            exit_code=self.exit_code,
            elapsed_s=result.elapsed_s,
            scenario_steps=len(result.minimized) if result.violation else None,
            report=None if folder is None else str(folder),
            report_error=None if report is None else report.error,
            engine={"hypothesis": hypothesis.__version__},
            reproduced=list(result.reproduced) if result.violation else None,
            replay=None if folder is None
            else f"replicheck replay {shlex.quote(str(folder / 'case.json'))}",
        )  # fmt: skip
