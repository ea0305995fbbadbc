"""The campaign's bound on power losses under page-cache durability (`_may_lose_data`):
KIP-966 promises to survive min.insync.replicas - 1 brokers losing their unflushed suffix,
and nothing once an unclean recovery has started, so the campaign draws no power loss
beyond that (a loss there would be a false alarm on a correct configuration)."""

from replicheck.impl import ClusterConfig
from replicheck.impl.config import eligible_leader_replicas
from replicheck.stateful.machine import FAULT_FAMILIES, CampaignMachine, Sink, make_machine
from replicheck.stateful.scenario import Executor, Step

ELR = eligible_leader_replicas(ClusterConfig())

# Every broker restarts uncleanly: broker 3's re-registration empties the ISR, the ELR is
# empty, and balanced recovery starts its GetReplicaLogInfo round (tests/impl/test_elr.py).
TO_RECOVERY = [
    Step("crash", {"broker": 1}),
    Step("send", {"message": "m1", "partition": 0, "process": 0}),
    Step("crash", {"broker": 2}),
    Step("crash", {"broker": 3}),
    Step("restart", {"broker": 2}),
    Step("tick", {"ms": 1}),
    Step("restart", {"broker": 3}),
]


def _machine(config: ClusterConfig) -> CampaignMachine:
    machine = make_machine(config, Sink())()
    assert isinstance(machine, CampaignMachine)
    machine.executor = Executor(config, seed=50348)
    machine.families = frozenset(FAULT_FAMILIES)
    return machine


def _kinds(machine: CampaignMachine) -> list[str]:
    return [e["kind"] for e in machine.ex.cluster.events]


def test_at_most_min_isr_minus_one_brokers_lose_power() -> None:
    machine = _machine(ELR)
    assert ELR.flush == "interval" and ELR.min_insync_replicas == 2
    assert all(machine._may_lose_data(b) for b in (1, 2, 3))
    machine.powered.add(2)  # one broker lost its suffix: only it may lose power again
    assert [b for b in (1, 2, 3) if machine._may_lose_data(b)] == [2]


def test_an_fsync_per_append_config_may_lose_power_anywhere() -> None:
    config = ClusterConfig()
    assert config.flush == "every-append"
    machine = _machine(config)
    machine.powered.update({1, 2})
    assert all(machine._may_lose_data(b) for b in (1, 2, 3))


def test_no_power_loss_once_a_recovery_round_has_started() -> None:
    machine = _machine(ELR)
    for step in TO_RECOVERY[:-1]:
        machine.ex.apply(step)
    assert "log-info-round" not in _kinds(machine)
    assert machine._may_lose_data(2)
    machine.ex.apply(TO_RECOVERY[-1])
    machine.ex.apply(Step("tick", {"ms": 1}))
    assert "log-info-round" in _kinds(machine)
    assert "unclean-recovery" not in _kinds(machine)  # still waiting for the answers
    assert not any(machine._may_lose_data(b) for b in (1, 2, 3))
    assert machine._power_targets("power-any") == []
    machine.ex.apply(Step("tick", {"ms": 50}))
    assert "unclean-recovery" in _kinds(machine)
    assert not any(machine._may_lose_data(b) for b in (1, 2, 3))
