"""A campaign run as a plan of chunks: locally, as one CI shard, or on a Dask cluster.

`run_scaled_campaign` takes the same budget arguments as `runner.run_campaign` plus the
`ScaleOptions`, runs the selected chunks with the chosen engine, minimizes the winning
failure once (here, on the driver) and returns a `ScaledCampaign`, which is a
`CampaignResult` (so `hunt` prints and reports it unchanged) that also knows its plan.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from replicheck.impl import ClusterConfig
from replicheck.scale.chunk import ChunkOutcome, ChunkTask, run_chunk
from replicheck.scale.database import DatabaseSpec, check_reachable
from replicheck.scale.engine import ChunkBook, run_sequential
from replicheck.scale.plan import ChunkSpec, Shard, plan_chunks
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, get_profile
from replicheck.stateful.runner import (
    CampaignResult,
    Progress,
    config_hash,
    hypothesis_version,
    minimize_found,
    resolve_config,
)

#: the target every campaign drives today, as `hunt --json` names it
#: (commands/hunt_reference.REFERENCE_KIND); the first part of the Redis key namespace
TARGET = "reference-cluster"
#: examples per chunk when `--dask` is given without `--chunks` (small enough to balance
#: load and to stream progress, large enough that a chunk's start-up is noise)
DASK_CHUNK_EXAMPLES = 100


@dataclass(frozen=True)
class ScaleOptions:
    """`hunt`'s scale options: where the database is, which shard, which engine."""

    database: DatabaseSpec | None = None  # None: hunt's default folder (or --no-database)
    shard: Shard | None = None
    chunks: int | None = None
    dask: str | None = None

    @property
    def active(self) -> bool:
        """Whether anything differs from a plain `hunt` (which the runner handles itself)."""
        return any(v is not None for v in (self.database, self.shard, self.chunks, self.dask))

    def chunk_count(self, max_examples: int, workers: int) -> int:
        """`--chunks`, or the plan `--workers` always meant, at least one chunk per shard."""
        if self.chunks is not None:
            return self.chunks
        floor = self.shard.count if self.shard is not None else 1
        if self.dask is not None:
            return max(floor, min(max_examples, -(-max_examples // DASK_CHUNK_EXAMPLES)))
        return max(floor, min(workers, max_examples))


@dataclass
class ScaledCampaign(CampaignResult):
    """A campaign that ran as chunks: its plan, the chunks it ran, and what each did."""

    chunks: int = 1
    shard: Shard | None = None
    engine: str = "local"  # or "2 local processes", "dask tcp://scheduler:8786"
    database: str | None = None
    outcomes: list[ChunkOutcome] = field(default_factory=list)
    winner: ChunkOutcome | None = None

    def reproduce_command(self) -> str:
        """A found failure: the one chunk that found it, run alone (its seed and budget,
        as a plan of one chunk); otherwise the campaign (this shard of it)."""
        parts = ["replicheck", "hunt"] + (["--flaw", self.flaw] if self.flaw else [])
        if self.winner is not None:
            spec = self.winner.spec
            parts += ["--seed", str(spec.seed), "--max-examples", str(spec.max_examples)]
            parts += ["--chunks", "1"]  # a chunk's exploration (stateful/local_constants.py)
        else:
            parts += ["--seed", str(self.seed), "--max-examples", str(self.max_examples)]
            if self.chunks > 1:
                parts += ["--chunks", str(self.chunks)]
            if self.shard is not None:
                parts += ["--shard", str(self.shard)]
        parts += ["--steps", str(self.steps_per_example)]
        return " ".join([*parts, "--hypothesis-version", hypothesis_version()])


def engine_label() -> str:
    """The engine part of the database namespace: what decides what a choice sequence means."""
    import replicheck

    return f"replicheck-{replicheck.__version__}+hypothesis-{hypothesis_version()}"


def run_scaled_campaign(
    options: ScaleOptions,
    config: ClusterConfig | None = None,
    *,
    flaw: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    steps: int | None = None,
    profile: str = DEFAULT_HUNT_PROFILE,
    database: DatabaseSpec | None = None,
    workers: int = 1,
    progress: Callable[[Progress], None] | None = None,
    fingerprints: bool = False,
) -> ScaledCampaign:
    """Run the campaign's plan (or this shard of it) and minimize the winner once.

    `database` is the example database (None: none); `options.database` overrides it.
    """
    budget = get_profile(profile).campaign
    config = resolve_config(config, flaw)
    max_examples = budget.max_examples if max_examples is None else max_examples
    steps = budget.steps if steps is None else steps
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    plan = plan_chunks(seed, max_examples, options.chunk_count(max_examples, workers))
    selected = options.shard.select(plan) if options.shard is not None else plan
    spec_db = options.database or database
    if spec_db is not None:
        spec_db = spec_db.for_campaign(TARGET, config_hash(config), engine_label())
        check_reachable(spec_db)
    campaign = ScaledCampaign(
        config=config,
        flaw=flaw,
        seed=seed,
        seeds=[s.seed for s in selected],
        max_examples=max_examples,
        steps_per_example=steps,
        profile=profile,
        workers=workers,
        chunks=len(plan),
        shard=options.shard,
        engine=f"dask {options.dask}" if options.dask else "local",
        database=spec_db.describe() if spec_db is not None else None,
    )
    tasks = [ChunkTask(config, spec, steps, spec_db, fingerprints) for spec in selected]
    started = time.perf_counter()
    tally = _Tally(sum(s.max_examples for s in selected), started, progress)
    processes = min(workers, len(tasks), os.cpu_count() or 1)
    if options.dask is not None:
        outcomes = _run_dask(options.dask, tasks, tally)
    elif processes > 1:
        from replicheck.scale.pool import run_on_pool

        campaign.engine = f"{processes} local processes"
        outcomes = run_on_pool(tasks, processes, tally.finished)
    else:
        outcomes = _run_local(tasks, tally)
    campaign.elapsed_s = time.perf_counter() - started
    _conclude(campaign, outcomes)
    return campaign


@dataclass
class _Tally:
    """Totals for the progress bar: finished chunks plus the one running here."""

    budget: int
    started: float
    progress: Callable[[Progress], None] | None
    done: tuple[int, int, int] = (0, 0, 0)
    found: bool = False

    def report(self, live: tuple[int, int, int] = (0, 0, 0)) -> None:
        if self.progress is None:
            return
        examples, steps, faults = (done + now for done, now in zip(self.done, live, strict=True))
        self.progress(
            Progress(
                examples=examples,
                max_examples=self.budget,
                steps=steps,
                faults=faults,
                elapsed_s=time.perf_counter() - self.started,
                found=self.found,
                shrinking=False,
            )
        )

    def finished(self, outcome: ChunkOutcome) -> None:
        examples, steps, faults = self.done
        self.done = (examples + outcome.examples, steps + outcome.steps, faults + outcome.faults)
        self.found = self.found or outcome.decisive
        self.report()


def _run_local(tasks: list[ChunkTask], tally: _Tally) -> list[ChunkOutcome]:
    by_spec = {task.spec: task for task in tasks}

    def run_one(spec: ChunkSpec) -> ChunkOutcome:
        return run_chunk(by_spec[spec], on_progress=lambda *live: tally.report(live))

    return run_sequential(by_spec, run_one, tally.finished)


def _run_dask(address: str, tasks: list[ChunkTask], tally: _Tally) -> list[ChunkOutcome]:
    from replicheck.scale.dask_engine import connect, run_on_dask

    client = connect(address)
    try:
        return run_on_dask(client, tasks, tally.finished)
    finally:
        client.close()


def _conclude(campaign: ScaledCampaign, outcomes: list[ChunkOutcome]) -> None:
    """Totals, the winner (ChunkBook's rule), and its minimization (once, here)."""
    campaign.outcomes = outcomes
    for outcome in outcomes:
        campaign.examples += outcome.examples
        campaign.shrink_runs += outcome.shrink_runs
        campaign.steps += outcome.steps
        campaign.faults += outcome.faults
    book = ChunkBook(o.spec for o in outcomes)
    for outcome in outcomes:
        if outcome.status != "cancelled":
            book.record(outcome)
    winner = book.winner()
    if winner is None:
        return
    campaign.winner = winner
    campaign.failing_seed = winner.spec.seed
    campaign.first_failure_s = winner.first_failure_s
    campaign.first_failure_example = winner.first_failure_example
    if winner.result is not None:
        campaign.hypothesis_steps = len(winner.result.steps)
        spec, steps = winner.spec, campaign.steps_per_example
        found = minimize_found(winner.result, campaign.config, spec.seed, spec.max_examples, steps)
        campaign.result, campaign.refinds, runs = found
        campaign.shrink_runs += runs  # the minimizer's replays and the re-finds' runs
    else:
        campaign.error = winner.error
        campaign.error_steps = winner.error_steps


__all__ = ["ScaleOptions", "ScaledCampaign", "run_scaled_campaign"]
