"""Run one chunk of a campaign plan, wherever it is: this process, a shard, a Dask worker.

`run_chunk` is a module-level function of picklable arguments (a `ChunkTask`), so Dask
can ship it; it returns a picklable `ChunkOutcome`. It does not minimize: minimization
runs once, on the driver, on the winning chunk's failure (`campaign.py`).
"""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from replicheck.impl import ClusterConfig
from replicheck.scale.database import DatabaseSpec
from replicheck.scale.plan import ChunkSpec
from replicheck.stateful.machine import Sink
from replicheck.stateful.result import RunResult
from replicheck.stateful.steps import Step

Status = Literal["clean", "found", "error", "stopped", "cancelled"]

#: how often a running chunk asks whether it is still needed (a Dask round trip)
STOP_POLL_S = 0.25


class ChunkStopped(KeyboardInterrupt):
    """Raised inside a running chunk that is no longer needed.

    A KeyboardInterrupt on purpose: Hypothesis saves the choices of an example interrupted
    by any other exception to the example database, which would make every later run replay
    a scenario that never failed; an interrupt it re-raises without saving.
    """


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to run one chunk (picklable)."""

    config: ClusterConfig
    spec: ChunkSpec
    steps: int
    database: DatabaseSpec | None = None
    #: record a digest of every example's steps (the shard tests compare them)
    fingerprints: bool = False


@dataclass
class ChunkOutcome:
    """What one chunk did. `result` is the failing run as Hypothesis left it (unpolished)."""

    spec: ChunkSpec
    status: Status
    examples: int = 0
    shrink_runs: int = 0
    steps: int = 0
    faults: int = 0
    elapsed_s: float = 0.0
    first_failure_s: float | None = None
    first_failure_example: int | None = None
    result: RunResult | None = None
    error: str | None = None
    error_steps: list[Step] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)
    #: where it ran ("local", a Dask worker address): for the summary, never for verdicts
    where: str = "local"

    @property
    def decisive(self) -> bool:
        """A finding or a simulation error: chunks after it are not needed."""
        return self.status in ("found", "error")


def steps_digest(steps: list[Step]) -> str:
    """A short stable name for one example's step list (equal steps, equal digest)."""
    text = repr([(step.kind, sorted(step.args.items())) for step in steps])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_chunk(
    task: ChunkTask,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> ChunkOutcome:
    """Run `task`'s chunk here; `should_stop` is polled between examples (every 0.25 s)."""
    from replicheck.stateful.runner import run_single

    spec = task.spec
    started = time.perf_counter()
    seen = ChunkOutcome(spec=spec, status="stopped")
    last_poll = [started]

    def on_example(sink: Sink, elapsed_s: float) -> None:
        seen.examples, seen.steps, seen.faults = sink.examples, sink.steps, sink.faults
        if task.fingerprints and not sink.failures:
            seen.fingerprints.append(steps_digest(list(sink.last_steps)))
        if on_progress is not None:
            on_progress(sink.examples, sink.steps, sink.faults)
        now = time.perf_counter()
        if should_stop is not None and now - last_poll[0] >= STOP_POLL_S:
            last_poll[0] = now
            if should_stop():
                raise ChunkStopped

    database = task.database.open() if task.database is not None else None
    try:
        # run_single empties Hypothesis's local-constants pool (stateful/local_constants.py),
        # so a chunk explores the same in whatever process it runs.
        single = run_single(
            task.config,
            spec.seed,
            spec.max_examples,
            task.steps,
            database,
            on_example,
            polish_result=False,
        )
    except ChunkStopped:
        seen.elapsed_s = time.perf_counter() - started
        return seen
    except Exception:  # the harness itself failed: report it as this chunk's error
        seen.status, seen.error = "error", traceback.format_exc()
        seen.elapsed_s = time.perf_counter() - started
        return seen
    status: Status = "found" if single.result else ("error" if single.error else "clean")
    return ChunkOutcome(
        spec=spec,
        status=status,
        examples=single.examples,
        shrink_runs=single.shrink_runs,
        steps=single.steps,
        faults=single.faults,
        elapsed_s=single.elapsed_s,
        first_failure_s=single.first_failure_s,
        first_failure_example=single.first_failure_example,
        result=single.result,
        error=single.error,
        error_steps=list(single.error_steps),
        fingerprints=seen.fingerprints,
    )
