"""`replicheck hunt`: run a campaign against the simulated cluster and explain what it found.

Exit codes: 0 nothing found within the budget, 1 a violation was found (minimized, printed,
reported — even if the report could not be written), 2 usage error (unknown flaw, bad number,
unwritable report folder, worker processes refused), 4 the simulation itself crashed.

A found violation is printed (scenario, seed, reproduce command) before its report is
written: the finding must survive a report folder that fails at the last moment.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from replicheck.nodes.cli_options import node_hunt_options
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, PROFILES


@click.command(name="hunt")
@node_hunt_options
@click.option("--flaw", metavar="NAME", help="Re-introduce a flaw from the zoo (`replicheck zoo`).")
@click.option(
    "--max-examples",
    type=click.IntRange(min=1),
    help="Examples (scenarios) to try; default from the profile.",
)
@click.option("--seed", type=click.IntRange(min=0), help="Fix Hypothesis's randomness.")
@click.option(
    "--steps", type=click.IntRange(min=1), help="Maximum steps per scenario; default from profile."
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where the report of a found violation is written.",
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default=DEFAULT_HUNT_PROFILE,
    show_default=True,
    help="Budget: ci (fast), dev (about a minute), nightly (long).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Parallel processes, each searching with its own seed.",
)
@click.option(
    "--no-database",
    is_flag=True,
    help="Ignore Hypothesis's example database (.hypothesis/replicheck/).",
)
@click.option(
    "--hypothesis-version",
    metavar="VERSION",
    help="The Hypothesis version the seed was explored with (from a printed Reproduce: "
    "line); a different installed version only warns: the same seed may explore differently.",
)
def hunt(
    flaw: str | None,
    max_examples: int | None,
    seed: int | None,
    steps: int | None,
    report_dir: Path,
    profile: str,
    workers: int,
    no_database: bool,
    hypothesis_version: str | None,
) -> None:
    """Hunt for lost acknowledged writes: hammer the simulated cluster with faults."""
    import hypothesis

    if hypothesis_version and hypothesis_version != hypothesis.__version__:
        click.echo(
            f"warning: this seed was explored with Hypothesis {hypothesis_version}; "
            f"Hypothesis {hypothesis.__version__} is installed and may explore it differently "
            "(saved cases replay exactly either way: replicheck replay CASE)",
            err=True,
        )
    from replicheck.stateful.profiles import get_profile
    from replicheck.stateful.runner import (
        DEFAULT_DATABASE_DIR,
        UnknownFlawError,
        WorkerStartError,
        clamp_workers,
        report_dir_problem,
        resolve_config,
        run_campaign,
        write_campaign_report,
    )

    console = Console(highlight=False, soft_wrap=True)
    try:
        resolve_config(None, flaw)
    except UnknownFlawError as err:
        raise click.BadParameter(str(err), param_hint="'--flaw'") from None
    problem = report_dir_problem(report_dir)
    if problem:
        click.echo(f"error: --report-dir {problem}", err=True)
        raise SystemExit(2)
    budget = max_examples or get_profile(profile).campaign.max_examples
    workers, note = clamp_workers(workers, budget)
    if note:
        click.echo(f"note: {note}", err=True)

    target = f"flaw {flaw}" if flaw else "the correct configuration"
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} examples"),
        TextColumn("· {task.fields[steps]} steps · {task.fields[faults]} faults"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        label = flaw or "correct config"
        task = bar.add_task(label, total=max_examples or 1, steps=0, faults=0)

        def on_progress(p) -> None:
            bar.update(
                task,
                completed=min(p.examples, p.max_examples),
                total=p.max_examples,
                steps=p.steps,
                faults=p.faults,
                description=label + (" [red]found, minimizing[/]" if p.found else ""),
            )

        try:
            campaign = run_campaign(
                None,
                flaw=flaw,
                max_examples=max_examples,
                seed=seed,
                steps=steps,
                profile=profile,
                database_dir=None if no_database else DEFAULT_DATABASE_DIR,
                report_dir=None,  # written below, once the finding is on screen
                workers=workers,
                progress=on_progress,
            )
        except WorkerStartError as err:
            bar.stop()
            click.echo(f"error: {err}", err=True)
            raise SystemExit(2) from None
        bar.update(task, completed=min(campaign.examples, campaign.max_examples))

    console.print(_summary_table(campaign, target))
    if campaign.result is not None:
        _print_violation(console, campaign)
        write_campaign_report(campaign, report_dir)
        if campaign.report_path is not None:
            console.print(Text(f"Report: {campaign.report_path}"))
        elif campaign.report_error is not None:
            console.print(Text(f"Could not write the report: {campaign.report_error}"))
    elif campaign.error is not None:
        console.print("[bold red]The simulation itself failed[/] (a bug in replicheck's impl):")
        console.print(Text(campaign.error))
        if campaign.error_steps:
            console.print("Steps up to the failure:")
            topic = campaign.config.topic
            for number, step in enumerate(campaign.error_steps, start=1):
                console.print(Text(f"{number:>3}. {step.describe(topic)}"))
        console.print(Text(f"Reproduce: {campaign.reproduce_command()}"))
    else:
        console.print(
            f"[green]No violation found[/] in {campaign.examples} examples "
            f"(seed {campaign.seed}). Reproduce: {campaign.reproduce_command()}"
        )
    raise SystemExit(campaign.exit_code)


def _summary_table(campaign, target: str) -> Table:
    table = Table(title="replicheck hunt", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    rate = campaign.examples / campaign.elapsed_s if campaign.elapsed_s > 0 else 0.0
    step_rate = campaign.steps / campaign.elapsed_s if campaign.elapsed_s > 0 else 0.0
    seeds = ", ".join(str(s) for s in campaign.seeds)
    rows = [
        ("target", target),
        ("profile", campaign.profile),
        ("seed" + ("s" if len(campaign.seeds) > 1 else ""), seeds),
        ("examples run", f"{campaign.examples} (budget {campaign.max_examples})"),
        ("shrink replays", str(campaign.shrink_runs)),
        ("steps run", str(campaign.steps)),
        ("faults injected", str(campaign.faults)),
        ("elapsed", f"{campaign.elapsed_s:.1f} s ({rate:.0f} examples/s, {step_rate:.0f} steps/s)"),
    ]
    if campaign.result is not None:
        found = f"[red]VIOLATION[/]: {', '.join(campaign.result.anomaly_names)}"
        if campaign.first_failure_s is not None:
            found += f" (first seen after {campaign.first_failure_s:.1f} s)"
        rows.append(("result", found))
    elif campaign.error is not None:
        rows.append(("result", "[red]simulation error[/]"))
    else:
        rows.append(("result", "[green]no violation[/]"))
    for key, value in rows:
        table.add_row(key, value)
    return table


def _print_violation(console: Console, campaign) -> None:
    result = campaign.result
    console.print(
        f"\n[bold red]Violation found[/] and shrunk to {len(result.steps)} steps "
        f"(cluster seed {result.seed}):"
    )
    for line in result.step_lines():
        console.print(Text(line))
    console.print(
        Text("     then: network heals, every broker restarts, final read of every partition")
    )
    for number, text in result.invariant_violations:
        console.print(Text(f"replica invariant violated after step {number}: {text}"), style="red")
    for text in getattr(result, "liveness_violations", None) or []:
        console.print(Text(f"liveness: {text}"), style="red")
    if not result.log_verdict.valid:
        console.print(Text(result.log_verdict.render_text()))
    console.print(Text(f"Reproduce: {campaign.reproduce_command()}"))
