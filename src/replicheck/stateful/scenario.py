"""Scenarios: the step lists that Hypothesis generates, the runner minimizes, reports print
and `replicheck replay` runs again.

A `Step` is plain data (kind + JSON-ready args; its meaning is its entry in
`stateful.steps`). `Executor` applies steps to one `Target` (the reference `ClusterTarget`
unless told otherwise) and records what each did; both the Hypothesis state machine and
`run_scenario` drive the *same* executor, so replaying a saved step list without
Hypothesis reproduces the campaign's history byte for byte.

Send and poll steps wait (in simulated time, 1 ms at a time) until the client's operation
completes, bounded by the request timeout: a scenario then reads as a sequence of
acknowledged or failed operations, and the moment right after an acknowledgement -- when
followers may not yet know the new high watermark -- is exactly where the next fault lands.
A send with `wait: false` leaves the write in flight so that faults can hit it mid-flight.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from replicheck.checker.log_anomalies import check_log
from replicheck.impl import Cluster, ClusterConfig
from replicheck.stateful.result import (
    LIVENESS,
    REPLICA_INVARIANT,
    RunResult,
    RunStep,
    allowed_anomalies,
)
from replicheck.stateful.steps import (
    CLIENT_COUNT,
    FAULT_KINDS,
    FINAL_READ_PROCESS,
    STEP_KINDS,
    WAIT_SLACK_MS,
    Step,
    describe_step,
    format_groups,
    render_completion,
)
from replicheck.stateful.target import ClusterTarget, Target

__all__ = [
    "CLIENT_COUNT",
    "FAULT_KINDS",
    "FINAL_READ_PROCESS",
    "LIVENESS",
    "REPLICA_INVARIANT",
    "STEP_KINDS",
    "WAIT_FETCH_INTERVALS",
    "WAIT_SLACK_MS",
    "Executor",
    "RunResult",
    "Step",
    "StepExecutor",
    "allowed_anomalies",
    "campaign_wait_ms",
    "describe_step",
    "format_groups",
    "run_scenario",
]

# How long the campaign's sends and polls wait for completion (their `wait_ms` arg), in
# fetch intervals. A healthy cluster answers within two or three; when replication is
# impaired the step gives up waiting long before the request timeout, leaving the write in
# flight -- on the leader but not yet acknowledged -- which is exactly the state a failover
# must handle.
WAIT_FETCH_INTERVALS = 4


def campaign_wait_ms(config: ClusterConfig) -> int:
    """The `wait_ms` the campaign puts on its sends and polls."""
    return min(config.request_timeout_ms, WAIT_FETCH_INTERVALS * config.fetch_interval_ms)


S = TypeVar("S", bound=RunStep)


class StepExecutor(Generic[S]):
    """Applies steps to one target and records what each did: outcomes, describe snapshots
    after faults, invariant violations after every step, and at the end the `RunResult`.

    Generic in the target's step type; `Executor` is the one for the reference cluster."""

    def __init__(self, config: ClusterConfig, seed: int, target: Target[S]) -> None:
        self.config = config
        self.seed = seed
        self.target = target
        self.steps: list[S] = []
        self.step_outcomes: list[str] = []
        self.describe_snapshots: list[tuple[int, list[str]]] = [(0, self.target.snapshot())]
        self.invariant_violations: list[tuple[int, str]] = []
        self.last_violations: list[str] = []
        self._finished: RunResult | None = None

    # -- the one entry point -----------------------------------------------------------
    def apply(self, step: S) -> str:
        """Run one step; return (and record) its outcome."""
        assert self._finished is None, "scenario already finished"
        history_from = len(self.target.history)
        events_from = len(self.target.events)
        head = self.target.apply(step)
        return self._record(step, head, history_from, events_from)

    # -- recording ---------------------------------------------------------------------
    def _side_effects(self, step: S, history_from: int, events_from: int) -> list[str]:
        """What else happened during the step: other clients' completions, then events."""
        own = self.target.client_of(step)
        notes = []
        for op in self.target.history[history_from:]:
            if op["type"] != "invoke" and op["process"] != own:
                what = op.get("value") if op["f"] == "send" else f"poll of {op['key']}"
                notes.append(f"client {op['process']}'s {what}: {render_completion(op)}")
        for event in self.target.events[events_from:]:
            text = self.target.describe_event(event)
            if text:
                notes.append(text)
        return notes

    def _record(self, step: S, head: str, history_from: int, events_from: int) -> str:
        self.steps.append(step)
        number = len(self.steps)
        notes = self._side_effects(step, history_from, events_from)
        outcome = "→ " + "; ".join([head, *notes])
        self.step_outcomes.append(outcome)
        if self.target.is_fault(step):
            self.describe_snapshots.append((number, self.target.snapshot()))
        self._check_invariants(number)
        return outcome

    def _check_invariants(self, number: int) -> None:
        self.last_violations = list(self.target.invariant_violations())
        recorded = {text for _, text in self.invariant_violations}
        for text in self.last_violations:
            if text not in recorded:
                self.invariant_violations.append((number, text))

    def finish(self) -> RunResult:
        """Final read after healing, then the log checker. Idempotent."""
        if self._finished is not None:
            return self._finished
        teardown = self.target.teardown(FINAL_READ_PROCESS)
        end = len(self.steps) + 1
        self.describe_snapshots.append((end, self.target.snapshot()))
        self._check_invariants(end)
        history = [dict(op) for op in self.target.history]
        self._finished = RunResult(
            config=self.config,
            seed=self.seed,
            steps=list(self.steps),
            history=history,
            events=[dict(e) for e in self.target.events],
            describe_snapshots=list(self.describe_snapshots),
            step_outcomes=list(self.step_outcomes),
            invariant_violations=list(self.invariant_violations),
            log_verdict=check_log(history),
            replica_logs=teardown.replica_logs,
            liveness_violations=teardown.liveness_violations,
            convergence_ms=teardown.convergence_ms,
            convergence_bound_ms=teardown.convergence_bound_ms,
        )
        return self._finished


class Executor(StepExecutor[Step]):
    """The executor for the reference cluster (the default target).

    The Hypothesis machine and `run_scenario` both go through `apply` and `finish`, which is
    what makes a printed scenario an exact, Hypothesis-free reproduction. `target` defaults
    to the reference cluster built from `config` and `seed`.
    """

    def __init__(
        self, config: ClusterConfig, seed: int, target: Target[Step] | None = None
    ) -> None:
        super().__init__(config, seed, ClusterTarget(config, seed) if target is None else target)

    @property
    def cluster(self) -> Cluster:
        """The simulated cluster (reference target only): what the campaign aims with."""
        assert isinstance(self.target, ClusterTarget), "only the reference target has one"
        return self.target.cluster

    @property
    def down(self) -> set[int]:
        """Brokers crashed, powered off or swapped and not restarted (reference target)."""
        assert isinstance(self.target, ClusterTarget), "only the reference target has brokers"
        return set(self.target.down_brokers())

    def tick_until(self, done: Callable[[Cluster], bool], max_ms: int) -> Step:
        """Advance time 1 ms at a time until `done(cluster)` (at most `max_ms`), recorded as
        one plain `tick` step of the elapsed time. `done` must only read the cluster.

        The campaign uses it to end a tick exactly at a protocol moment (an ISR change in
        flight, say). Processing the event queue up to t in 1 ms slices or at once is the
        same, so replaying the recorded `tick` reproduces this run exactly."""
        assert self._finished is None, "scenario already finished"
        assert max_ms > 0
        cluster = self.cluster
        history_from = len(self.target.history)
        events_from = len(self.target.events)
        cluster.tick(1)  # at least one millisecond passes, then the moment is looked for
        waited_ms = 1 + self.target.advance_until(lambda: done(cluster), max_ms - 1)
        step = Step("tick", {"ms": waited_ms})
        self._record(step, "ok", history_from, events_from)
        return step


def run_scenario(
    config: ClusterConfig, seed: int, steps: Sequence[Step | Mapping[str, Any]]
) -> RunResult:
    """Replay a step list on a fresh cluster (no Hypothesis): same inputs, same history."""
    executor = Executor(config, seed)
    for step in steps:
        executor.apply(step if isinstance(step, Step) else Step.from_dict(step))
    return executor.finish()
