"""The campaign runner: Hypothesis drives the state machine until a violation or the budget.

`run_campaign` is what `replicheck hunt` and the completeness tests call. It owns the
Hypothesis settings (budget, seed, example database), collects the minimized failing
`RunResult` from the machine's sink, optionally writes a report, and can fan out over
several worker processes, each searching with its own seed.

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
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.stateful import run_state_machine_as_test

from replicheck.impl import ClusterConfig
from replicheck.stateful.machine import Sink, make_machine
from replicheck.stateful.minimize import polish
from replicheck.stateful.profiles import DEFAULT_HUNT_PROFILE, get_profile
from replicheck.stateful.scenario import RunResult, Step

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
    shrink_runs: int = 0
    steps: int = 0
    faults: int = 0
    elapsed_s: float = 0.0
    first_failure_s: float | None = None  # wall clock until the first failing example
    first_failure_example: int | None = None  # examples run until then (in its worker)
    result: RunResult | None = None  # the minimized failing run
    hypothesis_steps: int | None = None  # its length as Hypothesis shrank it, before polish
    failing_seed: int | None = None
    error: str | None = None  # the simulation or machine crashed (not a found violation)
    error_steps: list[Step] = field(default_factory=list)
    database_path: Path | None = None
    report_path: Path | None = None

    @property
    def found(self) -> bool:
        return self.result is not None

    #: the report folder could not be written: "path: reason" (the violation stands)
    report_error: str | None = None
    #: why `workers` is lower than what was asked for (None if it is not)
    workers_note: str | None = None

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
    import hypothesis

    return hypothesis.__version__


def config_hash(config: ClusterConfig) -> str:
    """A short, stable name for a configuration (the example database folder)."""
    blob = json.dumps(config.to_dict(), sort_keys=True, default=sorted).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def resolve_config(config: ClusterConfig | None, flaw: str | None) -> ClusterConfig:
    """The base configuration with `flaw` applied; UnknownFlawError lists the zoo."""
    base = config if config is not None else ClusterConfig()
    if flaw is None:
        return base
    from replicheck.impl.zoo import FLAWS

    if flaw not in FLAWS:
        names = ", ".join(sorted(FLAWS)) or "(the zoo is empty)"
        raise UnknownFlawError(f"unknown flaw {flaw!r}; the zoo has: {names}")
    return FLAWS[flaw].apply(base)


def _share(total: int, workers: int) -> int:
    return max(1, -(-total // workers))


def campaign_settings(
    max_examples: int,
    steps: int,
    database_path: Path | ExampleDatabase | None,
    *,
    shrink: bool = True,
) -> settings:
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if shrink:
        phases.append(Phase.shrink)
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


def run_single(
    config: ClusterConfig,
    seed: int,
    max_examples: int,
    steps: int,
    database_path: Path | ExampleDatabase | None,
    on_example: Callable[[Sink, float], None] | None = None,
    *,
    polish_result: bool = True,
    hypothesis_shrink: bool = False,
) -> _Single:
    """One seeded Hypothesis campaign in this process."""
    assert max_examples >= 1 and steps >= 1
    started = time.perf_counter()
    first: dict[str, float | int] = {}
    sink = Sink()

    def record(result: RunResult) -> None:
        elapsed = time.perf_counter() - started
        if result.violation and not first:
            first["s"] = elapsed
            first["example"] = sink.examples
        if on_example is not None:
            on_example(sink, elapsed)

    sink.on_example = record
    machine = hypothesis_seed(seed)(make_machine(config, sink))
    error: str | None = None
    try:
        run_state_machine_as_test(
            machine,
            settings=campaign_settings(
                max_examples, steps, database_path, shrink=hypothesis_shrink
            ),
        )
    except Exception as err:  # a violation (AssertionError) or a crash in the simulation
        if not sink.failures or not isinstance(err, AssertionError):
            error = "".join(traceback.format_exception(err))
    result = sink.failures[-1] if sink.failures and error is None else None
    hypothesis_steps = len(result.steps) if result is not None else None
    if result is not None and polish_result:
        result = polish(result)
    return _Single(
        seed=seed,
        examples=sink.examples,
        shrink_runs=sink.shrink_runs,
        steps=sink.steps,
        faults=sink.faults,
        elapsed_s=time.perf_counter() - started,
        first_failure_s=first.get("s"),
        first_failure_example=first.get("example"),  # type: ignore[arg-type]
        result=result,
        error=error,
        error_steps=list(sink.last_steps) if error else [],
        hypothesis_steps=hypothesis_steps,
    )


def _worker_main(args: tuple, messages: multiprocessing.Queue) -> None:
    worker, config_dict, seed, max_examples, steps, database_path = args
    config = ClusterConfig.from_dict(config_dict)
    last = [0.0]

    def on_example(sink: Sink, elapsed: float) -> None:
        if elapsed - last[0] >= 0.2 or sink.failures:
            last[0] = elapsed
            messages.put(("progress", worker, sink.examples, sink.steps, sink.faults))

    try:
        single = run_single(config, seed, max_examples, steps, database_path, on_example)
    except BaseException:  # report, never hang the parent
        messages.put(("crash", worker, traceback.format_exc()))
        return
    messages.put(("done", worker, single))


def run_campaign(
    config: ClusterConfig | None = None,
    *,
    flaw: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    steps: int | None = None,
    profile: str = DEFAULT_HUNT_PROFILE,
    database_dir: Path | str | None = DEFAULT_DATABASE_DIR,
    report_dir: Path | str | None = None,
    workers: int = 1,
    progress: Callable[[Progress], None] | None = None,
) -> CampaignResult:
    """Search for a violation of `config` (+ `flaw`); shrink and report what is found.

    `seed=None` draws a seed (printed in the reproduce command). `database_dir=None`
    disables Hypothesis's example database. `workers > 1` runs seeds seed, seed+1, ...
    in separate processes, splitting the example budget, and stops them all at the first
    violation.
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

        def on_example(sink: Sink, elapsed: float) -> None:
            if progress is not None:
                progress(
                    Progress(
                        examples=sink.examples,
                        max_examples=max_examples,
                        steps=sink.steps,
                        faults=sink.faults,
                        elapsed_s=elapsed,
                        found=bool(sink.failures),
                        shrinking=bool(sink.failures),
                    )
                )

        singles = [run_single(config, seed, max_examples, steps, database_path, on_example)]
    else:
        singles = _run_workers(config, seeds, max_examples, steps, database_path, progress)
    campaign.elapsed_s = time.perf_counter() - started
    _merge(campaign, singles)
    if campaign.result is not None and report_dir is not None:
        write_campaign_report(campaign, Path(report_dir))
    return campaign


def write_campaign_report(campaign: CampaignResult, report_dir: Path) -> Path | None:
    """Write the found violation's report; on failure record `report_error`, never raise
    (the violation is the product: losing it to a full disk would be worse)."""
    try:
        campaign.report_path = _write_report(campaign, report_dir)
    except OSError as error:
        where = error.filename or report_dir
        campaign.report_error = f"{where}: {error.strerror or error}"
    return campaign.report_path


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
    ctx = multiprocessing.get_context("spawn")
    messages: multiprocessing.Queue = ctx.Queue()
    share = _share(max_examples, len(seeds))
    procs = []
    for worker, seed in enumerate(seeds):
        args = (worker, config.to_dict(), seed, share, steps, database_path)
        proc = ctx.Process(target=_worker_main, args=(args, messages), daemon=True)
        try:
            proc.start()
        except OSError as error:
            for started in procs:
                started.terminate()
                started.join(timeout=5)
            raise WorkerStartError(
                f"cannot start campaign worker {worker + 1} of {len(seeds)}: "
                f"{error.strerror or error} (try fewer --workers)"
            ) from None
        procs.append(proc)
    counts = {w: (0, 0, 0) for w in range(len(seeds))}
    singles: dict[int, _Single] = {}
    crashes: dict[int, str] = {}
    started = time.perf_counter()
    found = False
    try:
        while len(singles) + len(crashes) < len(procs):
            try:
                message = messages.get(timeout=0.5)
            except queue_module.Empty:
                dead = [
                    w
                    for w, p in enumerate(procs)
                    if not p.is_alive() and w not in singles and w not in crashes
                ]
                for w in dead:
                    if p_exit := procs[w].exitcode:
                        crashes[w] = f"worker {w} exited with code {p_exit}"
                continue
            kind, worker = message[0], message[1]
            if kind == "progress":
                counts[worker] = message[2:5]
            elif kind == "done":
                single = message[2]
                singles[worker] = single
                counts[worker] = (single.examples, single.steps, single.faults)
                if single.result is not None or single.error is not None:
                    found = True
                    for other, proc in enumerate(procs):  # stop the others: one is enough
                        if other not in singles and proc.is_alive():
                            proc.terminate()
                            crashes[other] = "stopped"
            else:
                crashes[worker] = message[2]
            if progress is not None:
                progress(
                    Progress(
                        examples=sum(c[0] for c in counts.values()),
                        max_examples=share * len(seeds),
                        steps=sum(c[1] for c in counts.values()),
                        faults=sum(c[2] for c in counts.values()),
                        elapsed_s=time.perf_counter() - started,
                        found=found,
                        shrinking=False,
                    )
                )
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
    errors = {w: text for w, text in crashes.items() if text != "stopped"}
    if errors and not singles:
        worker, text = sorted(errors.items())[0]
        raise RuntimeError(f"campaign worker {worker} failed:\n{text}")
    # Stopped workers still contributed examples: count them from their last progress.
    for worker, (examples, steps_run, faults) in counts.items():
        if worker not in singles:
            singles[worker] = _Single(
                seed=seeds[worker],
                examples=examples,
                shrink_runs=0,
                steps=steps_run,
                faults=faults,
                elapsed_s=time.perf_counter() - started,
                first_failure_s=None,
                first_failure_example=None,
                result=None,
                error=None,
                error_steps=[],
            )
    return [singles[w] for w in sorted(singles)]


def _write_report(campaign: CampaignResult, report_dir: Path) -> Path | None:
    """Hand the minimized run to report/ when that package provides a writer."""
    try:
        from replicheck.report import write_report
    except ImportError:
        return None
    assert campaign.result is not None
    return write_report(campaign.result, report_dir, command=campaign.reproduce_command())
