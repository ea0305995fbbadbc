"""The step table: one entry per kind, read by the executor, validation, menu and reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.report import html, timeline
from replicheck.report.case_fields import steps_problem
from replicheck.stateful import machine, shrink_moves
from replicheck.stateful.scenario import Executor, RunResult, StepExecutor, run_scenario
from replicheck.stateful.steps import (
    FAULT_KINDS,
    FINAL_READ_PROCESS,
    MAX_RUN_MS,
    STEP_KINDS,
    VOCABULARY,
    Bounds,
    Step,
    StepKind,
    Vocabulary,
)
from replicheck.stateful.target import ClusterTarget, Target, Teardown

CONFIG = ClusterConfig()
BOUNDS = Bounds.of(CONFIG)


def test_every_reader_takes_its_sets_from_the_table() -> None:
    assert tuple(VOCABULARY) == STEP_KINDS
    assert {name for name, kind in VOCABULARY.items() if kind.fault} == FAULT_KINDS
    assert set(STEP_KINDS) - {"send", "poll", "tick"} == FAULT_KINDS
    assert html.FAULT_STEP_KINDS is FAULT_KINDS
    assert {
        name: kind.event for name, kind in VOCABULARY.items() if kind.event
    } == timeline._STEP_EVENT
    assert "elect-preferred" not in timeline._STEP_EVENT  # it leaves no event of its own
    assert shrink_moves.UNDO["crash"] == ("restart", "broker")
    assert shrink_moves.UNDO["partition"] == ("heal", None)


def test_swarm_families_come_from_the_fault_kinds_in_table_order() -> None:
    assert machine.FAULT_FAMILIES == (
        "crash", "power", "partition", "network", "controller", "preferred",
    )  # fmt: skip
    menu = {action: families for action, families, _ in machine._MENU}
    assert menu["send"] is None and menu["restart"] is None and menu["heal"] is None
    assert menu["power-leader"] == {"power"} and menu["replace-disk"] == {"power"}
    assert menu["bounce-leader"] == {"preferred", "crash"}


def test_every_kind_describes_validates_and_applies() -> None:
    """A minimal valid argument set per kind: validation accepts it, the wording names it,
    and applying it on the reference target answers an outcome."""
    examples: dict[str, dict[str, Any]] = {
        "send": {"process": 0, "partition": 0, "message": "m1"},
        "poll": {"process": 1, "partition": 0, "offset": 0},
        "tick": {"ms": 5},
        "crash": {"broker": 3},
        "power-loss": {"broker": 3},
        "replace-disk": {"broker": 3},
        "restart": {"broker": 3},
        "partition": {"groups": [["b1"], ["b2"]]},
        "heal": {},
        "message-faults": {"loss": 0.0, "delay_lo_ms": 1, "delay_hi_ms": 2},
        "controller-failover": {},
        "elect-preferred": {},
        "slow-link": {"src": "b1", "dst": "b2", "extra_ms": 20},
    }
    assert set(examples) == set(STEP_KINDS)
    target = ClusterTarget(CONFIG, seed=0)
    for name, args in examples.items():
        kind = VOCABULARY[name]
        assert kind.problem(args, BOUNDS) is None, name
        assert kind.describe(args, "orders"), name
        assert target.apply(Step(name, args)), name


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"kind": "tick", "args": {"ms": 0}}, "steps[0].args.ms: expected a number of ms between"),
        ({"kind": "crash", "args": {"broker": 4}}, "steps[0].args.broker: expected a broker id"),
        ({"kind": "send", "args": {"process": 0, "partition": 1, "message": "m"}},
         "steps[0].args.partition: expected a partition number between 0 and 0"),
        ({"kind": "message-faults", "args": {"loss": 0, "delay_lo_ms": 5, "delay_hi_ms": 4}},
         "steps[0].args.delay_hi_ms: expected a delay in ms (≥ delay_lo_ms) between 5"),
        ({"kind": "partition", "args": {"groups": [["b9"]]}}, 'unknown node "b9"'),
        ({"kind": "heal", "args": {"x": 1}}, "unknown argument for a heal step (expected: none)"),
        ({"kind": "reboot", "args": {}}, 'steps[0].kind: unknown step "reboot" (known: send,'),
    ],
)  # fmt: skip
def test_arguments_are_checked_against_the_configuration(step: dict, problem: str) -> None:
    found = steps_problem(CONFIG, [step])
    assert found is not None and problem in found


def test_the_whole_case_is_bounded_in_simulated_time() -> None:
    ticks = [{"kind": "tick", "args": {"ms": 600_000}}] * 7
    found = steps_problem(CONFIG, ticks)
    assert found == (
        f"steps[6]: the steps so far take 4200000 simulated ms; a case may take at most {MAX_RUN_MS}"
    )
    assert steps_problem(CONFIG, ticks[:6]) is None


def test_a_kind_skips_what_the_cluster_state_makes_meaningless() -> None:
    target = ClusterTarget(CONFIG, seed=0)
    assert target.apply(Step("restart", {"broker": 1})) == "skipped: broker 1 is running"
    assert target.apply(Step("crash", {"broker": 1})) == "ok"
    assert target.apply(Step("crash", {"broker": 1})) == "skipped: broker 1 is already down"
    assert target.down_brokers() == [1] and target.live_brokers() == [2, 3]
    assert target.apply(Step("power-loss", {"broker": 1})) == "ok"  # a down broker too
    target.apply(Step("send", {"process": 0, "partition": 0, "message": "m1", "wait": False}))
    busy = Step("send", {"process": 0, "partition": 0, "message": "m2"})
    assert target.apply(busy) == "skipped: client 0 is busy"


def test_the_executor_drives_any_target_and_the_default_is_the_reference_cluster() -> None:
    steps = [
        Step("send", {"process": 0, "partition": 0, "message": "m1"}),
        Step("crash", {"broker": 1}),
        Step("tick", {"ms": 90}),
        Step("send", {"process": 1, "partition": 0, "message": "m2"}),
    ]
    target: Target[Step] = ClusterTarget(CONFIG, 7)
    explicit = Executor(CONFIG, 7, target=target)
    for step in steps:
        explicit.apply(step)
    through_target: RunResult = explicit.finish()
    default = run_scenario(CONFIG, 7, steps)
    assert through_target.history == default.history
    assert through_target.step_outcomes == default.step_outcomes
    assert through_target.describe_snapshots == default.describe_snapshots
    assert through_target.replica_logs == default.replica_logs


def test_partition_state_is_the_describe_line_structured() -> None:
    cluster = Cluster(ClusterConfig(partition_count=2), seed=0)
    state = cluster.partition_state(0)
    assert (state.key, state.leader, state.leader_epoch) == ("orders-0", 1, 0)
    assert state.isr == state.assigned == (1, 2, 3)
    assert [r.broker for r in state.replicas] == [1, 2, 3]
    assert cluster.partition_state("orders-1").leader == 2
    cluster.send(0, 0, "a")
    assert cluster.run_until_idle(0, 500)
    roles = {r.broker: (r.role, r.leo, r.hw) for r in cluster.partition_state(0).replicas}
    assert roles[1] == ("leader", 1, 1)
    cluster.crash(1)
    waited_ms = cluster.run_until(lambda: cluster.partition_state(0).leader == 2, 500)
    assert 0 < waited_ms < 500
    state = cluster.partition_state(0)
    assert state.leader == 2 and state.leader_epoch == 1 and 1 not in state.isr
    down = next(r for r in state.replicas if r.broker == 1)
    assert not down.live and down.role is None and down.hw is None and down.leo == 1
    line = cluster.describe()[0]
    assert f"Leader: {state.leader} " in line
    assert line.endswith("Isr: " + ",".join(map(str, state.isr)))


def test_run_until_checks_before_it_ticks_and_stops_at_the_bound() -> None:
    cluster = Cluster(CONFIG, seed=0)
    assert cluster.run_until(lambda: True, 100) == 0 and cluster.now_ms == 0
    assert cluster.run_until(lambda: False, 7) == 7 and cluster.now_ms == 7
    cluster.partition([["b1"], ["b2", "b3", "c0"]])
    cluster.send(0, 0, "a")  # client 0 is cut off from the leader: no answer within 3 ms
    assert not cluster.run_until_idle(0, 3) and cluster.now_ms == 10


class _Journaled:
    """A second `Target` implementation (not a ClusterTarget): the reference cluster behind
    a journal of what the executor asked for. The executor must need nothing else."""

    def __init__(self, inner: ClusterTarget) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.history = inner.history
        self.events = inner.events

    def apply(self, step: Step) -> str:
        self.calls.append(step.kind)
        return self.inner.apply(step)

    def is_fault(self, step: Step) -> bool:
        return self.inner.is_fault(step)

    def client_of(self, step: Step) -> int | None:
        return self.inner.client_of(step)

    def snapshot(self) -> list[str]:
        return self.inner.snapshot()

    def invariant_violations(self) -> list[str]:
        return self.inner.invariant_violations()

    def describe_event(self, event: Mapping[str, Any]) -> str | None:
        return self.inner.describe_event(event)

    def advance_until(self, done: Callable[[], bool], max_ms: int) -> int:
        return self.inner.advance_until(done, max_ms)

    def teardown(self, process: int) -> Teardown:
        self.calls.append(f"teardown {process}")
        return self.inner.teardown(process)


def test_a_second_target_is_driven_through_the_protocol_alone() -> None:
    steps = [Step("send", {"process": 0, "partition": 0, "message": "m1"}), Step("heal", {})]
    journaled = _Journaled(ClusterTarget(CONFIG, 3))
    executor: StepExecutor[Step] = StepExecutor(CONFIG, 3, journaled)
    for step in steps:
        executor.apply(step)
    result = executor.finish()
    assert journaled.calls == ["send", "heal", f"teardown {FINAL_READ_PROCESS}"]
    assert result.history == run_scenario(CONFIG, 3, steps).history
    assert len(result.describe_snapshots) == 3  # start, after the heal (a fault), the end


def test_a_new_fault_without_arguments_joins_the_menu_from_its_entry() -> None:
    drain = StepKind(
        "drain-controller",
        (),
        lambda cluster, args: "ok",
        lambda args, topic: "the controller drains",
        fault=True,
        family="controller",
        campaign_weight=2,
    )
    vocabulary = Vocabulary([*VOCABULARY.values(), drain])
    assert machine._plain_actions(machine._ACTIONS, vocabulary) == (
        ("drain-controller", ("drain-controller",), 2),
    )
    assert machine._plain_actions(machine._ACTIONS) == ()  # today's kinds are all aimed
    with pytest.raises(AssertionError, match="joins the menu"):
        StepKind("x", (), drain.apply, drain.describe, campaign_weight=1)
