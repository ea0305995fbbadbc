"""The default `hunt` search: a Hypothesis campaign against the simulated reference cluster.

`ReferenceSearch` checks the options and runs `plan.run_campaign`; `CampaignOutcome`
tells what the campaign found (the table rows, the story, the report folder and the
`--json` summary) from its `CampaignResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from replicheck.commands.hunt_plan import (
    CLEAN,
    ERROR,
    VIOLATION,
    HuntPlan,
    HuntSummary,
    ProgressCallback,
    SearchStartError,
)
from replicheck.commands.report_folder import ReportFolder, write_campaign_report
from replicheck.stateful.profiles import get_profile
from replicheck.stateful.refind import REFIND_ABOVE_STEPS, Refind
from replicheck.stateful.runner import (
    DEFAULT_DATABASE_DIR,
    CampaignResult,
    UnknownFlawError,
    WorkerStartError,
    clamp_workers,
    config_hash,
    hypothesis_version,
    resolve_config,
)

#: `target.kind` of the reference cluster in the `--json` summary
REFERENCE_KIND = "reference-cluster"


@dataclass(frozen=True)
class ReferenceSearch:
    """Search the reference cluster (with `--flaw`, a zoo flaw switched on)."""

    plan: HuntPlan

    @property
    def target(self) -> str:
        flaw = self.plan.options.flaw
        return f"flaw {flaw}" if flaw else "the correct configuration"

    @property
    def label(self) -> str:
        return self.plan.options.flaw or "correct config"

    def check(self) -> None:
        """An unknown flaw is a usage error listing the zoo; more workers than CPUs or
        examples only a note (the campaign clamps them)."""
        options = self.plan.options
        try:
            resolve_config(None, options.flaw)
        except UnknownFlawError as err:
            raise click.BadParameter(str(err), param_hint="'--flaw'") from None
        budget = options.max_examples or get_profile(options.profile).campaign.max_examples
        _, note = clamp_workers(options.workers, budget)
        if note:
            click.echo(f"note: {note}", err=True)

    def run(self, progress: ProgressCallback) -> CampaignOutcome:
        options = self.plan.options
        try:
            campaign = self.plan.run_campaign(
                None,
                flaw=options.flaw,
                max_examples=options.max_examples,
                seed=options.seed,
                steps=options.steps,
                profile=options.profile,
                database_dir=None if options.no_database else DEFAULT_DATABASE_DIR,
                workers=options.workers,
                progress=progress,
            )
        except WorkerStartError as err:
            raise SearchStartError(str(err)) from None
        return CampaignOutcome(campaign)


@dataclass(frozen=True)
class CampaignOutcome:
    """A finished reference-cluster campaign, as `hunt` reports it."""

    campaign: CampaignResult

    @property
    def exit_code(self) -> int:
        return self.campaign.exit_code

    @property
    def examples(self) -> int:
        return self.campaign.examples

    @property
    def max_examples(self) -> int:
        return self.campaign.max_examples

    def table_rows(self) -> list[tuple[str, str]]:
        campaign = self.campaign
        rate = campaign.examples / campaign.elapsed_s if campaign.elapsed_s > 0 else 0.0
        step_rate = campaign.steps / campaign.elapsed_s if campaign.elapsed_s > 0 else 0.0
        seeds = ", ".join(str(s) for s in campaign.seeds)
        elapsed = f"{campaign.elapsed_s:.1f} s ({rate:.0f} examples/s, {step_rate:.0f} steps/s)"
        return [
            ("profile", campaign.profile),
            ("seed" + ("s" if len(campaign.seeds) > 1 else ""), seeds),
            ("examples run", f"{campaign.examples} (budget {campaign.max_examples})"),
            ("shrink replays", str(campaign.shrink_runs)),
            ("steps run", str(campaign.steps)),
            ("faults injected", str(campaign.faults)),
            ("elapsed", elapsed),
            ("result", self._result_cell()),
        ]

    def _result_cell(self) -> str:
        campaign = self.campaign
        if campaign.result is not None:
            found = f"[red]VIOLATION[/]: {', '.join(campaign.result.anomaly_names)}"
            if campaign.first_failure_s is not None:
                found += f" (first seen after {campaign.first_failure_s:.1f} s)"
            return found
        if campaign.error is not None:
            return "[red]simulation error[/]"
        return "[green]no violation[/]"

    def print_finding(self, console: Console) -> None:
        campaign = self.campaign
        result = campaign.result
        if result is not None:
            console.print(
                f"\n[bold red]Violation found[/] and shrunk to {len(result.steps)} steps "
                f"(cluster seed {result.seed}):"
            )
            for line in result.story_lines():
                console.print(Text(line.text), style="red" if line.is_violation else None)
            for note in refind_notes(campaign.refinds):
                console.print(Text(note), style="dim")
        elif campaign.error is not None:
            console.print("[bold red]The simulation itself failed[/] (a bug in replicheck's impl):")
            console.print(Text(campaign.error))
            if campaign.error_steps:
                console.print("Steps up to the failure:")
                topic = campaign.config.topic
                for number, step in enumerate(campaign.error_steps, start=1):
                    console.print(Text(f"{number:>3}. {step.describe(topic)}"))
        else:
            console.print(
                f"[green]No violation found[/] in {campaign.examples} examples "
                f"(seed {campaign.seed}). Reproduce: {campaign.reproduce_command()}"
            )
            return
        console.print(Text(f"Reproduce: {campaign.reproduce_command()}"))

    def write_report(self, report_dir: Path) -> ReportFolder | None:
        if self.campaign.result is None:
            return None
        return write_campaign_report(self.campaign, report_dir)

    def summary(self, report: ReportFolder | None) -> HuntSummary:
        campaign = self.campaign
        result = campaign.result
        outcome = VIOLATION if result is not None else (ERROR if campaign.error else CLEAN)
        return HuntSummary(
            target={
                "kind": REFERENCE_KIND,
                "flaw": campaign.flaw,
                "config_hash": config_hash(campaign.config),
            },
            result=outcome,
            anomalies=result.ranked_anomaly_names if result is not None else [],
            examples=campaign.examples,
            max_examples=campaign.max_examples,
            steps=campaign.steps,
            seed=campaign.seed,
            reproduce=campaign.reproduce_command(),
            exit_code=campaign.exit_code,
            elapsed_s=campaign.elapsed_s,
            scenario_steps=len(result.steps) if result is not None else None,
            failing_seed=campaign.failing_seed,
            report=None if report is None or report.path is None else str(report.path),
            report_error=None if report is None else report.error,
            engine={"hypothesis": hypothesis_version()},
        )


def refind_notes(refinds: tuple[Refind, ...]) -> list[str]:
    """What the re-finds did (stateful/refind.py), for the reader who wonders why the
    story's cluster seed is not the first failure's; a re-find's simulation error in full."""
    if not refinds:
        return []
    ends = ", ".join(
        "nothing" if r.minimized_steps is None else f"{r.minimized_steps} steps" for r in refinds
    )
    kept = [index for index, r in enumerate(refinds, start=1) if r.kept]
    shown = f"re-find {kept[-1]}'s" if kept else "the first failure's"
    notes = [
        f"The first story stayed longer than {REFIND_ABOVE_STEPS} steps, so the search ran "
        f"again from {len(refinds)} other seed(s) (re-finds, docs/hunt.md): they ended at "
        f"{ends}; shown is {shown}, the shortest."
    ]
    for r in refinds:
        if r.error:
            notes.append(f"A re-find (seed {r.seed}) crashed the simulation:\n{r.error}")
    return notes
