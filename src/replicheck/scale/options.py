"""`hunt`'s scale options: `--database`, `--chunks`, `--shard`, `--dask`.

One decorator (`scale_options`, made with `hunt_plan.hunt_extension`) and one line in
commands/hunt.py. When any of the options is given, the plan's campaign runner becomes
`ScaledRunner` (scale/campaign.py: the chunk plan, this shard of it, local or Dask), and
its search is wrapped so that the summary table shows the plan and a shard leaves its
record (`shard-K-of-N.json`, scale/record.py) next to the report folders for
`replicheck merge`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from replicheck.commands.hunt_plan import (
    HuntPlan,
    HuntSummary,
    ProgressCallback,
    Search,
    hunt_extension,
)
from replicheck.scale.campaign import ScaledCampaign, ScaleOptions, run_scaled_campaign
from replicheck.scale.database import DatabaseError, DatabaseSpec, parse_database, redact
from replicheck.scale.plan import Shard, parse_shard, plan_chunks
from replicheck.scale.record import RECORD_FORMAT, RECORD_VERSION, record_name, write_record
from replicheck.stateful.profiles import get_profile
from replicheck.stateful.runner import CampaignResult, WorkerStartError

if TYPE_CHECKING:
    from rich.console import Console

    from replicheck.commands.hunt_plan import HuntOutcome
    from replicheck.commands.report_folder import ReportFolder
    from replicheck.impl import ClusterConfig


def _database(ctx: click.Context, param: click.Parameter, value: str | None) -> DatabaseSpec | None:
    if value is None:
        return None
    try:
        return parse_database(value)
    except DatabaseError as error:
        raise click.BadParameter(str(error)) from None


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    if value is None:
        return None
    try:
        return parse_shard(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _dask(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and "://" not in value:
        raise click.BadParameter(
            f"expected a scheduler address like tcp://host:8786, got {value!r}"
        )
    return value


class ScaledRunner:
    """A campaign runner with `run_campaign`'s signature that runs the chunk plan."""

    def __init__(self, options: ScaleOptions) -> None:
        self.options = options

    def __call__(
        self,
        config: ClusterConfig | None = None,
        *,
        flaw: str | None = None,
        max_examples: int | None = None,
        seed: int | None = None,
        steps: int | None = None,
        profile: str = "dev",
        database_dir: Path | str | None = None,
        workers: int = 1,
        progress: ProgressCallback | None = None,
    ) -> CampaignResult:
        folder = None if database_dir is None else DatabaseSpec("directory", str(database_dir))
        from replicheck.scale.dask_engine import DaskEngineError
        from replicheck.scale.pool import PoolError

        try:
            return run_scaled_campaign(
                self.options,
                config,
                flaw=flaw,
                max_examples=max_examples,
                seed=seed,
                steps=steps,
                profile=profile,
                database=folder,
                workers=workers,
                progress=progress,
            )
        except (DatabaseError, DaskEngineError, PoolError) as error:  # hunt: "error: …", exit 2
            raise WorkerStartError(str(error)) from None


def _adjust(plan: HuntPlan, values: Mapping[str, object]) -> HuntPlan:
    database, shard, chunks, dask = (values[k] for k in ("database", "shard", "chunks", "dask"))
    assert database is None or isinstance(database, DatabaseSpec)
    assert shard is None or isinstance(shard, Shard)
    assert chunks is None or isinstance(chunks, int)
    assert dask is None or isinstance(dask, str)
    options = ScaleOptions(database=database, shard=shard, chunks=chunks, dask=dask)
    if not options.active:
        return plan
    if database is not None and plan.options.no_database:
        raise click.UsageError("--database and --no-database contradict each other")
    hunt = plan.options
    budget = hunt.max_examples or get_profile(hunt.profile).campaign.max_examples
    try:
        plan_size = options.chunk_count(budget, hunt.workers)
        layout = plan_chunks(hunt.seed or 0, budget, plan_size)
        if shard is not None:
            shard.select(layout)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    inner = plan.search
    return dataclasses.replace(
        plan,
        run_campaign=ScaledRunner(options),
        search=lambda p: ScaledSearch(inner(p), p.options.report_dir),
    )


@dataclass(frozen=True)
class ScaledSearch:
    """The plan's search, with the scale rows in its table and the shard record written."""

    inner: Search
    report_dir: Path

    @property
    def target(self) -> str:
        return self.inner.target

    @property
    def label(self) -> str:
        return self.inner.label

    def check(self) -> None:
        self.inner.check()

    def run(self, progress: ProgressCallback) -> ScaledOutcome:
        return ScaledOutcome(self.inner.run(progress), self.report_dir)


@dataclass(frozen=True)
class ScaledOutcome:
    inner: HuntOutcome
    report_dir: Path

    @property
    def campaign(self) -> ScaledCampaign | None:
        campaign = getattr(self.inner, "campaign", None)
        return campaign if isinstance(campaign, ScaledCampaign) else None

    @property
    def exit_code(self) -> int:
        return self.inner.exit_code

    @property
    def examples(self) -> int:
        return self.inner.examples

    @property
    def max_examples(self) -> int:
        return self.inner.max_examples

    def table_rows(self) -> list[tuple[str, str]]:
        rows = self.inner.table_rows()
        campaign = self.campaign
        if campaign is not None:
            rows = scale_rows(campaign) + rows
        return rows

    def print_finding(self, console: Console) -> None:
        self.inner.print_finding(console)

    def write_report(self, report_dir: Path) -> ReportFolder | None:
        """The report folder, then (for a shard) the shard record naming it."""
        folder = self.inner.write_report(report_dir)
        campaign = self.campaign
        if campaign is not None and campaign.shard is not None:
            report = None if folder is None or folder.path is None else str(folder.path)
            try:
                path = write_record(shard_record(campaign, report), report_dir, campaign.shard)
                click.echo(f"Shard record: {path}", err=True)
            except OSError as error:
                where = error.filename or report_dir / record_name(campaign.shard)
                click.echo(f"error: could not write the shard record {where}: {error}", err=True)
        return folder

    def summary(self, report: ReportFolder | None) -> HuntSummary:
        return self.inner.summary(report)


def scale_rows(campaign: ScaledCampaign) -> list[tuple[str, str]]:
    """The summary table's rows for the plan, the shard, the engine and the database."""
    share = campaign.outcomes[0].spec.max_examples if campaign.outcomes else 0
    rows = [("plan", f"{campaign.chunks} chunk(s) × {share} examples (seed {campaign.seed})")]
    if campaign.shard is not None:
        rows.append(("shard", f"{campaign.shard}: {len(campaign.outcomes)} chunk(s)"))
    counts: dict[str, int] = {}
    for outcome in campaign.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    rows.append(("chunks", ", ".join(f"{n} {status}" for status, n in counts.items())))
    rows.append(("engine", "this process" if campaign.engine == "local" else campaign.engine))
    rows.append(("database", campaign.database or "none"))
    if campaign.winner is not None:
        rows.append(
            ("decided by", f"chunk {campaign.winner.spec.index} (seed {campaign.winner.spec.seed})")
        )
    return rows


def shard_record(campaign: ScaledCampaign, report: str | None) -> dict[str, object]:
    """The JSON object of scale/record.py for this shard."""
    from replicheck.scale.campaign import engine_label
    from replicheck.stateful.runner import config_hash

    assert campaign.shard is not None
    winner: dict[str, object] | None = None
    if campaign.winner is not None:
        result = campaign.result
        winner = {
            "index": campaign.winner.spec.index,
            "seed": campaign.winner.spec.seed,
            "status": campaign.winner.status,
            "anomalies": result.ranked_anomaly_names if result is not None else [],
            "scenario_steps": len(result.steps) if result is not None else None,
            "reproduce": campaign.reproduce_command(),
            "report": report,
        }
    return {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "campaign": {
            "flaw": campaign.flaw,
            "config_hash": config_hash(campaign.config),
            "seed": campaign.seed,
            "max_examples": campaign.max_examples,
            "steps": campaign.steps_per_example,
            "chunks": campaign.chunks,
            "engine": engine_label(),
            "database": redact(campaign.database) if campaign.database else None,
        },
        "shard": {"number": campaign.shard.number, "count": campaign.shard.count},
        "chunks": [
            {
                "index": o.spec.index,
                "seed": o.spec.seed,
                "max_examples": o.spec.max_examples,
                "status": o.status,
                "examples": o.examples,
            }
            for o in campaign.outcomes
        ],
        "winner": winner,
        "examples": campaign.examples,
        "elapsed_s": round(campaign.elapsed_s, 3),
        "exit_code": campaign.exit_code,
    }


scale_options = hunt_extension(
    click.option(
        "--database",
        metavar="URL|DIR",
        callback=_database,
        help="Example database: redis://host:port/db (shared by every worker and shard) "
        "or a folder; default .hypothesis/replicheck/.",
    ),
    click.option(
        "--shard",
        metavar="K/N",
        callback=_shard,
        help="Run part K of N of the seeded campaign's chunks (a CI matrix job); "
        "`replicheck merge` combines the shards.",
    ),
    click.option(
        "--chunks",
        type=click.IntRange(min=1),
        help="Split the campaign into this many seeded chunks (seed, seed+1, …); default: "
        "--workers, at least the shard count; with --dask one per 100 examples.",
    ),
    click.option(
        "--dask",
        metavar="tcp://HOST:PORT",
        callback=_dask,
        help="Run the chunks on this Dask scheduler's workers (pip install 'replicheck[dask]').",
    ),
    adjust=_adjust,
)
