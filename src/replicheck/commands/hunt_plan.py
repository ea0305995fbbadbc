"""What `replicheck hunt` runs, and how another module adds options to it.

`hunt` turns its own options into a `HuntPlan`, lets every extension adjust that plan from
the extension's options, then runs it: `plan.search(plan)` gives a `Search` (a target and
the way to search it), whose `run` returns a `HuntOutcome` that `hunt` prints, writes up
and summarizes (`HuntSummary`, the `--json` object). The reference cluster
(commands/hunt_reference.py) is the default search. An extension changes the plan, never
hunt's flow:

- a second target (external nodes) replaces `plan.search` with its own `Search`;
- another way to run the same campaign (a shared example database, one shard of the seeds,
  workers on a cluster) replaces `plan.run_campaign`, a function with `run_campaign`'s
  signature (stateful/runner.py).

An extension is a decorator made by `hunt_extension`, defined in the extension's module::

    def _adjust(plan: HuntPlan, values: Mapping[str, object]) -> HuntPlan:
        if values["shard"] is None:
            return plan
        return dataclasses.replace(plan, run_campaign=sharded(values["shard"]))

    shard_options = hunt_extension(
        click.option("--shard", metavar="K/N", help="Run shard K of N of the seeds."),
        adjust=_adjust,
    )

plus one line, `@shard_options`, under `@core_options` in commands/hunt.py. This module
imports no extension, so an extension may import it freely.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import click

from replicheck import __version__
from replicheck.stateful.runner import CampaignResult, Progress

if TYPE_CHECKING:
    from rich.console import Console

    from replicheck.commands.report_folder import ReportFolder
    from replicheck.impl import ClusterConfig

#: `format` and `version` of the `hunt --json` object (docs/hunt.md, "Machine-readable")
SUMMARY_FORMAT = "replicheck-hunt"
SUMMARY_VERSION = 1
#: `result` values of the `hunt --json` object
CLEAN, VIOLATION, ERROR = "clean", "violation", "error"

ProgressCallback = Callable[[Progress], None]


class CampaignRunner(Protocol):
    """`run_campaign`'s signature, as `hunt` calls it (stateful/runner.py)."""

    def __call__(
        self,
        config: ClusterConfig | None = None,
        *,
        flaw: str | None = None,
        max_examples: int | None = None,
        seed: int | None = None,
        steps: int | None = None,
        profile: str = ...,
        database_dir: Path | str | None = ...,
        workers: int = 1,
        progress: ProgressCallback | None = None,
    ) -> CampaignResult: ...


@dataclass(frozen=True)
class HuntOptions:
    """`hunt`'s own options, as parsed."""

    flaw: str | None
    max_examples: int | None
    seed: int | None
    steps: int | None
    report_dir: Path
    profile: str
    workers: int
    no_database: bool
    hypothesis_version: str | None
    as_json: bool


@dataclass(frozen=True)
class HuntSummary:
    """The `hunt --json` object: what a CI job needs, the same fields for every target.

    `target` says what was searched (`kind` first: `reference-cluster`, or a second
    target's own kind, with its own identifying fields); `steps` counts every step run,
    `scenario_steps` the minimized failing scenario's length."""

    target: dict[str, object]
    result: str  # CLEAN, VIOLATION or ERROR
    anomalies: list[str]  # ranked: the first names the report folder
    examples: int
    max_examples: int
    steps: int
    seed: int
    reproduce: str
    exit_code: int
    elapsed_s: float
    scenario_steps: int | None = None
    failing_seed: int | None = None
    report: str | None = None
    report_error: str | None = None
    engine: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.result in (CLEAN, VIOLATION, ERROR), self.result
        assert "kind" in self.target, "a target names its kind"
        assert (self.result == VIOLATION) == bool(self.anomalies), "anomalies iff a violation"

    def to_json(self) -> dict[str, object]:
        return {
            "format": SUMMARY_FORMAT,
            "version": SUMMARY_VERSION,
            "target": dict(self.target),
            "result": self.result,
            "anomalies": list(self.anomalies),
            "examples": self.examples,
            "max_examples": self.max_examples,
            "steps": self.steps,
            "scenario_steps": self.scenario_steps,
            "seed": self.seed,
            "failing_seed": self.failing_seed,
            "report": self.report,
            "report_error": self.report_error,
            "reproduce": self.reproduce,
            "elapsed_s": round(self.elapsed_s, 3),
            "engine": {"replicheck": __version__, **self.engine},
            "exit_code": self.exit_code,
        }


class HuntOutcome(Protocol):
    """A finished search, as `hunt` prints, writes up and summarizes it."""

    @property
    def exit_code(self) -> int:
        """0 nothing found, 1 a violation, 4 the search itself failed (module hunt.py)."""
        ...

    @property
    def examples(self) -> int: ...

    @property
    def max_examples(self) -> int: ...

    def table_rows(self) -> list[tuple[str, str]]:
        """The summary table's rows after `target` (rich markup allowed)."""
        ...

    def print_finding(self, console: Console) -> None:
        """The violation's story, the error, or "no violation", with the reproduce line;
        printed before the report is written, so the finding survives a failing folder."""
        ...

    def write_report(self, report_dir: Path) -> ReportFolder | None:
        """Write the report folder of a violation (None: nothing to write)."""
        ...

    def summary(self, report: ReportFolder | None) -> HuntSummary: ...


class Search(Protocol):
    """One target and how to search it, ready to run."""

    @property
    def target(self) -> str:
        """What is searched, in words (`flaw acks-one`): the table's first row."""
        ...

    @property
    def label(self) -> str:
        """The progress bar's label."""
        ...

    def check(self) -> None:
        """Reject unusable options before anything runs (raise a `click.UsageError`)."""
        ...

    def run(self, progress: ProgressCallback) -> HuntOutcome:
        """Search; raise `SearchStartError` when the search cannot start at all."""
        ...


class SearchStartError(Exception):
    """The search could not start (worker processes refused, a node that will not launch):
    a usage-level failure, exit 2, not a finding."""


@dataclass(frozen=True)
class HuntPlan:
    """Everything `hunt` will do: its options, the search, and how a campaign runs."""

    options: HuntOptions
    search: Callable[[HuntPlan], Search]
    run_campaign: CampaignRunner


HuntCallback = Callable[..., None]
PlanAdjuster = Callable[[HuntPlan, Mapping[str, object]], HuntPlan]
OptionDecorator = Callable[[HuntCallback], HuntCallback]


def _param_names(options: tuple[OptionDecorator, ...]) -> list[str]:
    """The keyword names click will pass for `options`."""

    def probe() -> None: ...

    decorated = probe
    for option in options:
        decorated = option(decorated)
    params: list[click.Parameter] = getattr(decorated, "__click_params__", [])
    names = [param.name for param in params if param.name is not None]
    assert len(names) == len(options), "one keyword per option"
    return names


def hunt_extension(
    *options: OptionDecorator, adjust: PlanAdjuster
) -> Callable[[HuntCallback], HuntCallback]:
    """A decorator for `hunt` adding `options` (click.option decorators, shown in this
    order) and calling `adjust(plan, {name: value})` with their values before hunt runs."""
    names = _param_names(options)

    def decorate(command: HuntCallback) -> HuntCallback:
        @functools.wraps(command)
        def extended(*, plan: HuntPlan, **params: object) -> None:
            values = {name: params.pop(name) for name in names}
            command(plan=adjust(plan, values), **params)

        decorated: HuntCallback = extended
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate
