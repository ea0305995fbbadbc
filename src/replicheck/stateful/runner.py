"""The campaign runner: Hypothesis drives the state machine until a violation or the budget.

`run_campaign` is what `replicheck hunt` and the completeness tests call. It owns the
Hypothesis settings (budget, seed, example database), collects the failing `RunResult`
from the machine's sink, minimizes it with replicheck's own minimizer (stateful/minimize.py;
Hypothesis's shrink phase is off, see docs/hunt.md), and can fan out over several worker
processes, each searching with its own seed. It writes no report: that is the command
layer's job (commands/report_folder.py), so `stateful` never imports `report`.

Reproducibility: a campaign is a function of (configuration, seed, budget, database
contents). With `database_dir=None` it is a function of the first three only.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue as queue_module
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.stateful import run_state_machine_as_test

from replicheck.impl import ClusterConfig
from replicheck.impl.zoo import FLAWS
from replicheck.stateful.local_constants import without_local_constants
from replicheck.stateful.machine import Sink, make_machine
from replicheck.stateful.minimize import polish_with_stats
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, get_profile
from replicheck.stateful.refind import Found, Refind, shortest_of_refinds
from replicheck.stateful.result import RunResult
from replicheck.stateful.steps import Step

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

# Hypothesis ships this entry point without annotations; its contract is documented.
_run_machine = cast(Callable[..., None], run_state_machine_as_test)

DEFAULT_DATABASE_DIR = Path(".hypothesis") / "replicheck"


class UnknownFlawError(ValueError):
    """`--flaw` named something that is not in the zoo."""


class WorkerStartError(OSError):
    """The operating system refused to start a campaign worker process."""


#: worker processes per campaign at most, whatever the CPU count says
MAX_WORKERS = 64


def clamp_workers(requested: int, max_examples: int) -> tuple[int, str | None]:
    """The worker count to use, and why it differs from `requested` (None if it does not).

    More workers than CPUs only share the CPUs (and each costs a Python interpreter), and
    more workers than examples would run empty searches: both are clamped, never failed.
    """
    cpus = os.cpu_count() or 1
    workers = max(1, min(requested, cpus, max_examples, MAX_WORKERS))
    if workers == requested:
        return workers, None
    limits = [f"{cpus} CPU(s)", f"{max_examples} example(s)", f"at most {MAX_WORKERS}"]
    return workers, f"--workers {requested} clamped to {workers} ({', '.join(limits)})"


def report_dir_problem(report_dir: Path | str) -> str | None:
    """Why a report could not be written under `report_dir` (None if it probably can).

    Checked before a campaign starts, so that an hour of searching is not lost to a typo;
    nothing is created. Writing can still fail later (disk full), which the caller handles.
    """
    path = Path(report_dir)
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            return f"{probe}: dangling symbolic link"
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        return f"{path}: cannot create a folder there ({probe} is not a directory)"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{path}: not writable ({probe} does not permit it)"
    return None


@dataclass
class Progress:
    """A snapshot for progress bars: totals over every worker so far."""

    examples: int
    max_examples: int
    steps: int
    faults: int
    elapsed_s: float
    found: bool
    shrinking: bool


@dataclass
class CampaignResult:
    """What one campaign did and, if it found something, the minimized failing run."""

    config: ClusterConfig
    flaw: str | None
    seed: int
    seeds: list[int]
    max_examples: int
    steps_per_example: int
    profile: str
    workers: int
    examples: int = 0
    shrink_runs: int = 0  # replays after the first failure: Hypothesis's and the minimizer's
    steps: int = 0
    faults: int = 0
    elapsed_s: float = 0.0
    first_failure_s: float | None = None  # wall clock until the first failing example
    first_failure_example: int | None = None  # examples run until then (in its worker)
    result: RunResult | None = None  # the minimized failing run
    hypothesis_steps: int | None = None  # its length as the search found it, before polish
    #: the searches run again when the minimized story was long (stateful/refind.py)
    refinds: tuple[Refind, ...] = ()
    failing_seed: int | None = None
    error: str | None = None  # the simulation or machine crashed (not a found violation)
    error_steps: list[Step] = field(default_factory=list)
    database_path: Path | None = None
    #: why `workers` is lower than what was asked for (None if it is not)
    workers_note: str | None = None
    #: set by the command layer once it has written the report folder (never here)
    report_path: Path | None = None
    #: the report folder could not be written: "path: reason" (the violation stands)
    report_error: str | None = None

    @property
    def found(self) -> bool:
        return self.result is not None

    @property
    def exit_code(self) -> int:
        """0 nothing found, 1 violation found, 4 the simulation itself failed (a bug in
        replicheck, not a finding: exit 1 would tell a script a violation was found)."""
        if self.found:
            return 1
        return 4 if self.error else 0

    def reproduce_command(self) -> str:
        """The exact `replicheck hunt` command line that repeats this campaign."""
        seed = self.failing_seed if self.failing_seed is not None else self.seed
        parts = ["replicheck", "hunt"]
        if self.flaw:
            parts += ["--flaw", self.flaw]
        budget = self.max_examples if self.workers == 1 else _share(self.max_examples, self.workers)
        parts += ["--seed", str(seed), "--max-examples", str(budget)]
        parts += ["--steps", str(self.steps_per_example)]
        # The seed re-explores the same way only under the same engine (hunt warns if not).
        parts += ["--hypothesis-version", hypothesis_version()]
        return " ".join(parts)


def hypothesis_version() -> str:
    """The installed search engine's version: a seed explores the same way only under it."""
    return str(hypothesis.__version__)  # typed Any in some releases


def config_hash(config: ClusterConfig) -> str:
    """A short, stable name for a configuration (the example database folder)."""
    blob = json.dumps(config.to_dict(), sort_keys=True, default=sorted).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def resolve_config(config: ClusterConfig | None, flaw: str | None) -> ClusterConfig:
    """The base configuration with `flaw` applied; UnknownFlawError lists the zoo."""
    base = config if config is not None else ClusterConfig()
    if flaw is None:
        return base
    if flaw not in FLAWS:
        names = ", ".join(sorted(FLAWS)) or "(the zoo is empty)"
        raise UnknownFlawError(f"unknown flaw {flaw!r}; the zoo has: {names}")
    return FLAWS[flaw].apply(base)


def _share(total: int, workers: int) -> int:
    return max(1, -(-total // workers))


def campaign_settings(
    max_examples: int, steps: int, database_path: Path | ExampleDatabase | None
) -> settings:
    """Hypothesis settings of one campaign. There is no shrink phase: Hypothesis's shrinker
    needs hundreds of full cluster runs per failure, so the runner minimizes the step list
    itself (`polish`, stateful/minimize.py) -- see docs/hunt.md, "Minimizing".
    `database_path` may also be an open database (scale/: Redis, opened on a worker)."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        database=database_path
        if isinstance(database_path, ExampleDatabase) or database_path is None
        else DirectoryBasedExampleDatabase(str(database_path)),  # scale/: an open database
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        print_blob=False,
        derandomize=False,
        phases=phases,
    )


@dataclass
class _Single:
    """One worker's outcome (picklable, sent back from worker processes)."""

    seed: int
    examples: int
    shrink_runs: int
    steps: int
    faults: int
    elapsed_s: float
    first_failure_s: float | None
    first_failure_example: int | None
    result: RunResult | None
    error: str | None
    error_steps: list[Step]
    hypothesis_steps: int | None = None
    refinds: tuple[Refind, ...] = ()


@dataclass
class _FirstFailure:
    """When (wall clock) and after how many examples the first violation showed up."""

    elapsed_s: float
    example: int


def run_single(
    config: ClusterConfig,
    seed: int,
    max_examples: int,
    steps: int,
    database_path: Path | ExampleDatabase | None,
    on_example: Callable[[Sink, float], None] | None = None,
    *,
    polish_result: bool = True,
) -> _Single:
    """One seeded Hypothesis campaign in this process; the failing run is minimized by
    `polish` unless `polish_result` is False."""
    assert max_examples >= 1 and steps >= 1
    started = time.perf_counter()
    first: list[_FirstFailure] = []
    sink = Sink()

    def record(result: RunResult) -> None:
        elapsed = time.perf_counter() - started
        if result.violation and not first:
            first.append(_FirstFailure(elapsed, sink.examples))
        if on_example is not None:
            on_example(sink, elapsed)

    sink.on_example = record
    machine = hypothesis_seed(seed)(make_machine(config, sink))
    error: str | None = None
    try:
        # Every campaign explores independently of which local modules this process has
        # loaded (stateful/local_constants.py): `hunt --seed N` is the same run from the
        # command line, the Python API, pytest, a worker process or a Dask task.
        with without_local_constants():
            _run_machine(machine, settings=campaign_settings(max_examples, steps, database_path))
    except Exception as err:  # a violation (AssertionError) or a crash in the simulation
        if not sink.failures or not isinstance(err, AssertionError):
            error = "".join(traceback.format_exception(err))
    result = sink.failures[-1] if sink.failures and error is None else None
    found_steps = len(result.steps) if result is not None else None
    minimize_runs = 0  # the minimizer's replays (and re-finds' runs) are shrink replays too
    refinds: tuple[Refind, ...] = ()
    if result is not None and polish_result:
        result, refinds, minimize_runs = minimize_found(result, config, seed, max_examples, steps)
    return _Single(
        seed=seed,
        examples=sink.examples,
        shrink_runs=sink.shrink_runs + minimize_runs,
        steps=sink.steps,
        faults=sink.faults,
        elapsed_s=time.perf_counter() - started,
        first_failure_s=first[0].elapsed_s if first else None,
        first_failure_example=first[0].example if first else None,
        result=result,
        error=error,
        error_steps=list(sink.last_steps) if error else [],
        hypothesis_steps=found_steps,
        refinds=refinds,
    )


def minimize_found(
    result: RunResult, config: ClusterConfig, seed: int, max_examples: int, steps: int
) -> tuple[RunResult, tuple[Refind, ...], int]:
    """A campaign's failing run minimized (`polish`), then re-found while its story stays
    long (stateful/refind.py: searches of `config` from seeds derived from the campaign's
    `seed`, each with `max_examples` and `steps`); with the cluster runs all that took."""
    polished, stats = polish_with_stats(result)
    search = refind_search(config, max_examples, steps)
    shortest, refinds = shortest_of_refinds(polished, stats, seed, search)
    return shortest, refinds, stats.runs + sum(refind.cost_runs for refind in refinds)


def refind_search(config: ClusterConfig, max_examples: int, steps: int) -> Callable[[int], Found]:
    """The campaign's search from another seed, to its first failure, without an example
    database (a re-find must not replay the first search's failure, nor save its own)."""

    def search(seed: int) -> Found:
        single = run_single(config, seed, max_examples, steps, None, polish_result=False)
        return Found(single.result, single.examples, single.error)

    return search


class _WorkerArgs(NamedTuple):
    """What a worker process needs (picklable: the configuration travels as a dict)."""

    worker: int
    config: dict[str, object]
    seed: int
    max_examples: int
    steps: int
    database_path: Path | None


@dataclass(frozen=True)
class _Message:
    """A worker's report to the parent: progress counts, its outcome, or its crash."""

    kind: str  # "progress" | "done" | "crash"
    worker: int
    counts: tuple[int, int, int] = (0, 0, 0)  # examples, steps, faults so far
    single: _Single | None = None
    text: str = ""


def _worker_main(args: _WorkerArgs, messages: Queue[_Message]) -> None:
    config = ClusterConfig.from_dict(args.config)
    last_s = [0.0]

    def on_example(sink: Sink, elapsed: float) -> None:
        if elapsed - last_s[0] >= 0.2 or sink.failures:
            last_s[0] = elapsed
            counts = (sink.examples, sink.steps, sink.faults)
            messages.put(_Message("progress", args.worker, counts))

    try:
        single = run_single(
            config, args.seed, args.max_examples, args.steps, args.database_path, on_example
        )
    except BaseException:  # report, never hang the parent
        messages.put(_Message("crash", args.worker, text=traceback.format_exc()))
        return
    counts = (single.examples, single.steps, single.faults)
    messages.put(_Message("done", args.worker, counts, single=single))


def run_campaign(
    config: ClusterConfig | None = None,
    *,
    flaw: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    steps: int | None = None,
    profile: str = DEFAULT_HUNT_PROFILE,
    database_dir: Path | str | None = DEFAULT_DATABASE_DIR,
    workers: int = 1,
    progress: Callable[[Progress], None] | None = None,
) -> CampaignResult:
    """Search for a violation of `config` (+ `flaw`) and minimize what is found.

    `seed=None` draws a seed (printed in the reproduce command). `database_dir=None`
    disables Hypothesis's example database. `workers > 1` runs seeds seed, seed+1, ...
    in separate processes, splitting the example budget, and stops them all at the first
    violation. The report folder is the caller's (commands/report_folder.py).
    """
    budget = get_profile(profile).campaign
    config = resolve_config(config, flaw)
    max_examples = budget.max_examples if max_examples is None else max_examples
    steps = budget.steps if steps is None else steps
    if max_examples < 1 or steps < 1 or workers < 1:
        raise ValueError("max_examples, steps and workers must all be at least 1")
    workers, workers_note = clamp_workers(workers, max_examples)
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    database_path = Path(database_dir) / config_hash(config) if database_dir is not None else None
    seeds = [seed + i for i in range(workers)]
    campaign = CampaignResult(
        config=config,
        flaw=flaw,
        seed=seed,
        seeds=seeds,
        max_examples=max_examples,
        steps_per_example=steps,
        profile=profile,
        workers=workers,
        database_path=database_path,
        workers_note=workers_note,
    )
    started = time.perf_counter()
    if workers == 1:
        on_example = None if progress is None else _single_progress(progress, max_examples)
        singles = [run_single(config, seed, max_examples, steps, database_path, on_example)]
    else:
        singles = _run_workers(config, seeds, max_examples, steps, database_path, progress)
    campaign.elapsed_s = time.perf_counter() - started
    _merge(campaign, singles)
    return campaign


def _single_progress(
    progress: Callable[[Progress], None], max_examples: int
) -> Callable[[Sink, float], None]:
    """The in-process campaign's progress: the sink's counters after every example."""

    def on_example(sink: Sink, elapsed: float) -> None:
        found = bool(sink.failures)
        progress(
            Progress(
                examples=sink.examples,
                max_examples=max_examples,
                steps=sink.steps,
                faults=sink.faults,
                elapsed_s=elapsed,
                found=found,
                shrinking=found,
            )
        )

    return on_example


def _merge(campaign: CampaignResult, singles: list[_Single]) -> None:
    for single in singles:
        campaign.examples += single.examples
        campaign.shrink_runs += single.shrink_runs
        campaign.steps += single.steps
        campaign.faults += single.faults
    found = [s for s in singles if s.result is not None]
    errors = [s for s in singles if s.error is not None]
    if found:
        best = min(found, key=lambda s: (s.first_failure_s or 0.0, s.seed))
        campaign.result = best.result
        campaign.failing_seed = best.seed
        campaign.first_failure_s = best.first_failure_s
        campaign.first_failure_example = best.first_failure_example
        campaign.hypothesis_steps = best.hypothesis_steps
        campaign.refinds = best.refinds
    elif errors:
        campaign.error = errors[0].error
        campaign.error_steps = errors[0].error_steps
        campaign.failing_seed = errors[0].seed


def _run_workers(
    config: ClusterConfig,
    seeds: list[int],
    max_examples: int,
    steps: int,
    database_path: Path | None,
    progress: Callable[[Progress], None] | None,
) -> list[_Single]:
    """Run one worker process per seed, each with its share of the budget; stop them all
    at the first violation (or simulation error); every process is reaped before return."""
    ctx = multiprocessing.get_context("spawn")
    messages: Queue[_Message] = ctx.Queue()
    share = _share(max_examples, len(seeds))
    jobs = [
        _WorkerArgs(worker, config.to_dict(), seed, share, steps, database_path)
        for worker, seed in enumerate(seeds)
    ]
    procs = _start_workers(ctx, jobs, messages)
    pool = _Pool(procs, started_s=time.perf_counter(), budget=share * len(seeds))
    try:
        pool.collect(messages, progress)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
    return pool.outcomes(seeds)


def _start_workers(
    ctx: SpawnContext, jobs: list[_WorkerArgs], messages: Queue[_Message]
) -> list[SpawnProcess]:
    """Start every worker; if the OS refuses one, stop those started and say so."""
    procs: list[SpawnProcess] = []
    for job in jobs:
        proc = ctx.Process(target=_worker_main, args=(job, messages), daemon=True)
        try:
            proc.start()
        except OSError as error:
            for started in procs:
                started.terminate()
                started.join(timeout=5)
            raise WorkerStartError(
                f"cannot start campaign worker {job.worker + 1} of {len(jobs)}: "
                f"{error.strerror or error} (try fewer --workers)"
            ) from None
        procs.append(proc)
    return procs


#: a worker the parent terminated because another one found something first
_STOPPED = "stopped"


@dataclass
class _Pool:
    """The parent's view of the running workers: counters, outcomes and crashes."""

    procs: list[SpawnProcess]
    started_s: float
    budget: int
    counts: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    singles: dict[int, _Single] = field(default_factory=dict)
    crashes: dict[int, str] = field(default_factory=dict)
    found: bool = False

    def collect(
        self, messages: Queue[_Message], progress: Callable[[Progress], None] | None
    ) -> None:
        """Read messages until every worker has answered, crashed or been stopped."""
        while len(self.singles) + len(self.crashes) < len(self.procs):
            try:
                message = messages.get(timeout=0.5)
            except queue_module.Empty:
                self._note_silent_deaths()
                continue
            self._take(message)
            if progress is not None:
                progress(self._progress())

    def _note_silent_deaths(self) -> None:
        """A worker that died without a word (killed, out of memory) is a crash."""
        for worker, proc in enumerate(self.procs):
            answered = worker in self.singles or worker in self.crashes
            if not answered and not proc.is_alive() and proc.exitcode:
                self.crashes[worker] = f"worker {worker} exited with code {proc.exitcode}"

    def _take(self, message: _Message) -> None:
        worker = message.worker
        if message.kind == "progress":
            self.counts[worker] = message.counts
        elif message.kind == "done":
            assert message.single is not None
            self.singles[worker] = message.single
            self.counts[worker] = message.counts
            if message.single.result is not None or message.single.error is not None:
                self.found = True
                self._stop_others()
        else:
            assert message.kind == "crash", message.kind
            self.crashes[worker] = message.text

    def _stop_others(self) -> None:
        """One finding is enough: stop every worker that has not answered."""
        for other, proc in enumerate(self.procs):
            if other not in self.singles and proc.is_alive():
                proc.terminate()
                self.crashes[other] = _STOPPED

    def _progress(self) -> Progress:
        counts = list(self.counts.values())
        return Progress(
            examples=sum(c[0] for c in counts),
            max_examples=self.budget,
            steps=sum(c[1] for c in counts),
            faults=sum(c[2] for c in counts),
            elapsed_s=time.perf_counter() - self.started_s,
            found=self.found,
            shrinking=False,
        )

    def outcomes(self, seeds: list[int]) -> list[_Single]:
        """One outcome per worker, in worker order. Stopped workers still contributed
        examples: they count from their last progress. RuntimeError if every worker
        crashed."""
        errors = {w: text for w, text in self.crashes.items() if text != _STOPPED}
        if errors and not self.singles:
            worker, text = sorted(errors.items())[0]
            raise RuntimeError(f"campaign worker {worker} failed:\n{text}")
        elapsed_s = time.perf_counter() - self.started_s
        for worker, seed in enumerate(seeds):
            if worker not in self.singles:
                examples, steps_run, faults = self.counts.get(worker, (0, 0, 0))
                self.singles[worker] = _Single(
                    seed=seed,
                    examples=examples,
                    shrink_runs=0,
                    steps=steps_run,
                    faults=faults,
                    elapsed_s=elapsed_s,
                    first_failure_s=None,
                    first_failure_example=None,
                    result=None,
                    error=None,
                    error_steps=[],
                )
        return [self.singles[w] for w in sorted(self.singles)]
