"""The menu's state-dependent shaping: recovery while leaderless, correlated failures."""

from hypothesis import given
from hypothesis import strategies as st

from replicheck.impl import ClusterConfig
from replicheck.stateful.machine import FAULT_FAMILIES, Sink, make_machine, partition_states
from replicheck.stateful.scenario import Executor, Step


def _machine():
    machine = make_machine(ClusterConfig(), Sink())()
    machine.executor = Executor(ClusterConfig(), seed=0)
    machine.families = frozenset(FAULT_FAMILIES)
    return machine


def test_a_leaderless_partition_boosts_recovery_and_drops_leader_procedures() -> None:
    machine = _machine()
    healthy = machine._menu()
    assert not machine._leaderless()
    assert {"bounce-leader", "cascade", "quick-restart-leader", "crash-two"} <= set(healthy)
    assert "restart" not in healthy  # nothing is down
    for broker in (1, 2, 3):
        machine.executor.apply(Step("crash", {"broker": broker}))
    machine.executor.apply(Step("tick", {"ms": 90}))
    assert machine._leaderless()
    menu = machine._menu()
    assert not {"bounce-leader", "cascade", "quick-restart-leader", "isr-race"} & set(menu)
    # three brokers down: 2 per broker, four times while the controller has no leader
    assert menu.count("restart") == 2 * 3 * 4


def test_a_failover_in_progress_is_not_leaderless() -> None:
    machine = _machine()
    machine.executor.apply(Step("crash", {"broker": 3}))
    assert not machine._leaderless()
    assert machine._menu().count("restart") == 2
    # The leader dies: until its session expires the controller still names it, and that
    # window (what a failover must get right) keeps its ordinary weights.
    machine.executor.apply(Step("crash", {"broker": 1}))
    assert not machine._leaderless()
    assert machine._menu().count("restart") == 2 * 2


@given(st.data())
def test_crash_two_crashes_the_leader_and_one_other_broker(data: st.DataObject) -> None:
    machine = _machine()
    leader = partition_states(machine.ex)[0].leader
    machine._do_crash_two(data)
    crashed = [s.args["broker"] for s in machine.ex.steps if s.kind == "crash"]
    assert len(crashed) == 2 and crashed[0] == leader and crashed[1] != leader
    assert sorted(machine._live()) == sorted({1, 2, 3} - set(crashed))
