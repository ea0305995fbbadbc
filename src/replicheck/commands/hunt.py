"""`replicheck hunt`: run a search for a violation and explain what it found.

Exit codes: 0 nothing found within the budget, 1 a violation was found (minimized, printed,
reported — even if the report could not be written), 2 usage error (unknown flaw, bad number,
unwritable report folder, worker processes refused), 4 the simulation itself crashed.

A found violation is printed (scenario, seed, reproduce command) before its report is
written: the finding must survive a report folder that fails at the last moment. With
`--json` the human output goes to stderr and stdout carries exactly one JSON object (the
`HuntSummary`, commands/hunt_plan.py) for exits 0, 1 and 4; a usage error (exit 2) prints
no JSON.

Extending: another module adds options with a decorator made by
`commands.hunt_plan.hunt_extension` and one line under `@core_options` below, e.g.
`@shard_options`; its `adjust` function changes the `HuntPlan` (the search to run, or the
campaign runner). hunt's flow (`run_hunt`) stays the same for every target. See the
docstring of commands/hunt_plan.py for a worked example.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click
import hypothesis
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from replicheck.commands.hunt_plan import (
    HuntCallback,
    HuntOptions,
    HuntOutcome,
    HuntPlan,
    Search,
    SearchStartError,
)
from replicheck.commands.hunt_reference import ReferenceSearch
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, PROFILES
from replicheck.stateful.runner import Progress as CampaignProgress
from replicheck.stateful.runner import report_dir_problem, run_campaign

_CORE_OPTIONS = (
    click.option(
        "--flaw", metavar="NAME", help="Re-introduce a flaw from the zoo (`replicheck zoo`)."
    ),
    click.option(
        "--max-examples",
        type=click.IntRange(min=1),
        help="Examples (scenarios) to try; default from the profile.",
    ),
    click.option("--seed", type=click.IntRange(min=0), help="Fix Hypothesis's randomness."),
    click.option(
        "--steps",
        type=click.IntRange(min=1),
        help="Maximum steps per scenario; default from profile.",
    ),
    click.option(
        "--report-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("reports"),
        show_default=True,
        help="Where the report of a found violation is written.",
    ),
    click.option(
        "--profile",
        type=click.Choice(sorted(PROFILES)),
        default=DEFAULT_HUNT_PROFILE,
        show_default=True,
        help="Budget: ci (fast), dev (about a minute), nightly (long).",
    ),
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Parallel processes, each searching with its own seed.",
    ),
    click.option(
        "--no-database",
        is_flag=True,
        help="Ignore Hypothesis's example database (.hypothesis/replicheck/).",
    ),
    click.option(
        "--hypothesis-version",
        metavar="VERSION",
        help="The Hypothesis version the seed was explored with (from a printed Reproduce: "
        "line); a different installed version only warns: the same seed may explore "
        "differently.",
    ),
    click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print a JSON summary (target, result, anomalies, examples, steps, seed, "
        "report, engine versions) as the only output on stdout; the rest goes to stderr.",
    ),
)


def core_options(command: HuntCallback) -> HuntCallback:
    """hunt's own options, parsed into the `HuntPlan` that extensions then adjust."""

    @functools.wraps(command)
    def parsed(
        *,
        flaw: str | None,
        max_examples: int | None,
        seed: int | None,
        steps: int | None,
        report_dir: Path,
        profile: str,
        workers: int,
        no_database: bool,
        hypothesis_version: str | None,
        as_json: bool,
        **extensions: object,
    ) -> None:
        options = HuntOptions(
            flaw=flaw,
            max_examples=max_examples,
            seed=seed,
            steps=steps,
            report_dir=report_dir,
            profile=profile,
            workers=workers,
            no_database=no_database,
            hypothesis_version=hypothesis_version,
            as_json=as_json,
        )
        plan = HuntPlan(options=options, search=ReferenceSearch, run_campaign=run_campaign)
        command(plan=plan, **extensions)

    decorated: HuntCallback = parsed
    for option in reversed(_CORE_OPTIONS):
        decorated = option(decorated)
    return decorated


@click.command(name="hunt")
@core_options
# Extensions: one decorator line each here (see the module docstring).
def hunt(plan: HuntPlan) -> None:
    """Hunt for lost acknowledged writes: hammer the simulated cluster with faults."""
    raise SystemExit(run_hunt(plan))


def run_hunt(plan: HuntPlan) -> int:
    """Check, search, print, write the report, summarize; return the exit code."""
    options = plan.options
    _warn_about_the_engine(options.hypothesis_version)
    search = plan.search(plan)
    search.check()
    problem = report_dir_problem(options.report_dir)
    if problem:
        click.echo(f"error: --report-dir {problem}", err=True)
        return 2
    console = Console(highlight=False, soft_wrap=True, stderr=options.as_json)
    try:
        outcome = _search_with_progress(search, options, console)
    except SearchStartError as err:
        click.echo(f"error: {err}", err=True)
        return 2
    console.print(_summary_table(search.target, outcome))
    outcome.print_finding(console)
    report = outcome.write_report(options.report_dir)
    if report is not None and report.path is not None:
        console.print(Text(f"Report: {report.path}"))
    elif report is not None:
        console.print(Text(f"Could not write the report: {report.error}"))
    if options.as_json:
        click.echo(json.dumps(outcome.summary(report).to_json(), indent=2, sort_keys=False))
    return outcome.exit_code


def _warn_about_the_engine(explored_with: str | None) -> None:
    """A seed explores the same way only under the Hypothesis version that explored it."""
    if explored_with and explored_with != hypothesis.__version__:
        click.echo(
            f"warning: this seed was explored with Hypothesis {explored_with}; "
            f"Hypothesis {hypothesis.__version__} is installed and may explore it differently "
            "(saved cases replay exactly either way: replicheck replay CASE)",
            err=True,
        )


def _search_with_progress(search: Search, options: HuntOptions, console: Console) -> HuntOutcome:
    """Run the search under a progress bar (examples, steps, faults, elapsed time)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} examples"),
        TextColumn("· {task.fields[steps]} steps · {task.fields[faults]} faults"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        label = search.label
        task = bar.add_task(label, total=options.max_examples or 1, steps=0, faults=0)

        def on_progress(p: CampaignProgress) -> None:
            bar.update(
                task,
                completed=min(p.examples, p.max_examples),
                total=p.max_examples,
                steps=p.steps,
                faults=p.faults,
                description=label + (" [red]found, minimizing[/]" if p.found else ""),
            )

        try:
            outcome = search.run(on_progress)
        except SearchStartError:
            bar.stop()
            raise
        bar.update(task, completed=min(outcome.examples, outcome.max_examples))
    return outcome


def _summary_table(target: str, outcome: HuntOutcome) -> Table:
    table = Table(title="replicheck hunt", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    for key, value in [("target", target), *outcome.table_rows()]:
        table.add_row(key, value)
    return table
