"""Replaying a saved case: the case's steps on a fresh target, no Hypothesis involved.

A case file is loaded and validated by `report.case` (which owns the format); what it takes
to run it again lives here, with the scenario, so `report/` never runs a simulation and
`stateful/` never imports `report/`. Anything with a seed, a validated configuration and
step list, and the recorded anomalies can be replayed (`Replayable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from replicheck.impl import ClusterConfig
from replicheck.stateful.scenario import RunResult, run_scenario
from replicheck.stateful.steps import Step


class Replayable(Protocol):
    """A saved scenario: `report.case.Case` is one."""

    @property
    def seed(self) -> int: ...

    @property
    def expected_anomalies(self) -> Sequence[str]: ...

    def cluster_config(self) -> ClusterConfig: ...

    def scenario_steps(self, config: ClusterConfig) -> list[Step]: ...


def reproduces(expected_anomalies: Sequence[str], result: RunResult) -> bool:
    """Did `result` show the recorded violation again (every recorded anomaly, at least)?"""
    return result.violation and set(expected_anomalies) <= set(result.anomaly_names)


def replay_case(case: Replayable) -> tuple[RunResult, bool]:
    """Run a case's steps again: `(RunResult, reproduced)`. Validation problems surface as
    whatever the case raises for them (`report.case.CaseError`)."""
    config = case.cluster_config()
    result = run_scenario(config, case.seed, case.scenario_steps(config))
    return result, reproduces(case.expected_anomalies, result)
