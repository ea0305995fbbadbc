"""Eligible Leader Replicas and unclean recovery (KIP-966), one rule per test, each asserting
concrete controller or replica state; and KIP-966's motivating case with and without ELR."""

from __future__ import annotations

from dataclasses import replace

import pytest

from replicheck.impl import Cluster, ClusterConfig, elr, log_info_round
from replicheck.impl import messages as m
from replicheck.impl.config import eligible_leader_replicas, pre_elr_without_fsync
from replicheck.impl.controller import Controller, MetadataStore, PartitionState
from replicheck.stateful.scenario import run_scenario

from .test_protocol import replica, send

ELR = eligible_leader_replicas(ClusterConfig())
PRE_ELR = pre_elr_without_fsync(ClusterConfig())


def state(cluster: Cluster) -> PartitionState:
    return cluster.store.partitions[0]


def controller(config: ClusterConfig = ELR) -> tuple[Controller, PartitionState]:
    store = MetadataStore(config)
    events: list[str] = []
    ctl = Controller(config, store, 0, lambda kind, **_: events.append(kind))
    return ctl, store.partitions[0]


def test_elr_requires_broker_epochs() -> None:
    with pytest.raises(ValueError, match="elr requires broker_epochs"):
        ClusterConfig(elr=True)
    with pytest.raises(ValueError, match="unclean_recovery must be one of"):
        ClusterConfig(unclean_recovery="eager")


def test_isr_shrinking_below_min_isr_populates_elr_and_reaching_it_clears_elr() -> None:
    ctl, p = controller()
    elr.set_isr(ctl, p, (1, 2))  # 3 leaves while the ISR keeps min.insync.replicas
    assert (p.isr, p.elr, p.last_known_elr) == ((1, 2), (), ())
    elr.set_isr(ctl, p, (1,))  # 2 leaves the ISR below the minimum: eligible
    assert (p.isr, p.elr) == ((1,), (2,))
    elr.set_isr(ctl, p, (1, 3))  # back at the minimum: the HW may advance without 2
    assert (p.isr, p.elr, p.last_known_elr) == ((1, 3), (), ())


def test_an_unclean_shutdown_moves_a_replica_from_elr_to_the_last_known_elr() -> None:
    ctl, p = controller()
    elr.set_isr(ctl, p, (1,))
    assert p.elr == (2, 3)
    ctl.alive = {1, 2, 3}
    ctl.store.partitions[0] = p
    elr.remove(ctl, p, 3, unclean=True)
    assert (p.isr, p.elr, p.last_known_elr) == ((1,), (2,), (3,))


def test_a_fenced_last_isr_member_empties_the_isr_and_an_elr_member_is_elected() -> None:
    cluster = Cluster(ELR, seed=1)
    send(cluster, 0, "a")
    cluster.crash(3)
    cluster.tick(100)  # 3's session expires: ISR 1,2 (still min.insync.replicas)
    assert (state(cluster).isr, state(cluster).elr) == ((1, 2), ())
    cluster.crash(2)
    cluster.tick(100)
    assert (state(cluster).isr, state(cluster).elr) == ((1,), (2,))
    cluster.partition([["b1"], ["controller"]])
    cluster.tick(100)  # the last member is fenced: pre-ELR it would have stayed
    assert (state(cluster).leader, state(cluster).isr, state(cluster).elr) == (-1, (), (1, 2))
    cluster.restart(2)  # a restart is an unclean shutdown: 2 leaves the ELR
    cluster.tick(50)
    p = state(cluster)
    assert (p.leader, p.elr, p.last_known_elr) == (-1, (1,), (2,))
    cluster.heal()  # 1 was fenced, never restarted: it is eligible and elected
    cluster.tick(50)
    p = state(cluster)
    assert (p.leader, p.elr, p.last_known_elr) == (1, (), ())
    assert p.isr[0] == 1
    cluster.tick(200)
    assert state(cluster).isr == (1, 2)
    assert [entry[:2] for entry in cluster.replica_logs(0)[2]] == [(0, "a")]


def test_pre_elr_the_last_isr_member_stays_in_the_isr() -> None:
    cluster = Cluster(PRE_ELR, seed=1)
    send(cluster, 0, "a")
    cluster.crash(2)
    cluster.crash(3)
    cluster.tick(100)
    cluster.crash(1)
    cluster.tick(100)
    assert (state(cluster).leader, state(cluster).isr, state(cluster).elr) == (-1, (1,), ())


def test_the_hw_advances_only_while_the_isr_has_min_insync_replicas_members() -> None:
    for config, expected_hw in ((ELR, 1), (PRE_ELR, 2)):
        cluster = Cluster(config, seed=1)
        send(cluster, 0, "a")
        cluster.partition([["b1"], ["b2", "b3"]])  # the leader loses its followers
        cluster.send(0, 0, "b")  # appended by the leader only
        cluster.tick(200)  # both followers leave the ISR (lag), the leader stays
        assert state(cluster).isr == (1,)
        assert replica(cluster, 1).log.leo == 2
        # Pre-ELR the leader alone is the ISR and commits `b`, which only it holds.
        assert replica(cluster, 1).hw == expected_hw, config.elr


def test_a_broker_that_restarts_leaves_isr_and_elr_even_as_the_last_member() -> None:
    cluster = Cluster(ELR, seed=1)
    send(cluster, 0, "a")
    cluster.crash(2)
    cluster.crash(3)
    cluster.tick(100)
    assert (state(cluster).isr, state(cluster).elr) == ((1,), (3,))
    cluster.crash(1)
    cluster.restart(1)  # within its session: only the new registration tells
    cluster.tick(10)
    p = state(cluster)
    assert (p.leader, p.isr, p.elr, p.last_known_elr) == (-1, (), (3,), (1,))


def test_last_replica_standing_loses_acknowledged_writes_before_elr() -> None:
    """KIP-966's motivating case: the followers leave the ISR, the last member loses its
    unflushed suffix in a power loss, and it is elected again."""
    cluster = Cluster(PRE_ELR, seed=1)
    assert send(cluster, 0, "a")["type"] == "ok"
    assert cluster.invariant_violations() == []  # (records what is committed)
    cluster.crash(2)
    cluster.crash(3)
    cluster.tick(100)
    cluster.power_loss(1)  # `a` was appended ~100 ms ago: not yet written back
    cluster.restart(1)
    cluster.tick(20)
    assert (state(cluster).leader, state(cluster).isr) == (1, (1,))
    assert cluster.replica_logs(0)[1] == []
    assert any("not on ISR member 1" in v for v in cluster.invariant_violations())
    cluster.restart(2)
    cluster.restart(3)
    cluster.tick(200)
    assert cluster.replica_logs(0) == {1: [], 2: [], 3: []}  # truncated to the leader


def test_with_elr_the_eligible_replica_keeps_the_write_through_balanced_recovery() -> None:
    cluster = Cluster(ELR, seed=1)
    assert send(cluster, 0, "a")["type"] == "ok"
    cluster.crash(2)
    cluster.crash(3)
    cluster.tick(100)
    cluster.power_loss(1)
    cluster.restart(1)
    cluster.tick(20)
    p = state(cluster)
    assert (p.leader, p.isr, p.elr, p.last_known_elr) == (-1, (), (3,), (1,))
    assert cluster.invariant_violations() == []
    cluster.restart(2)
    cluster.tick(5)
    assert state(cluster).leader == -1  # 2 left the ISR before it was small: not eligible
    cluster.restart(3)  # unclean too: ELR empty, last-known ELR 1,3 all live -> recovery
    cluster.tick(1)
    p = state(cluster)
    assert (p.leader, p.last_known_elr) == (-1, (1, 3))  # asking 1 and 3 for their logs
    rounds = [e["members"] for e in cluster.events if e["kind"] == "log-info-round"]
    assert rounds == [[1, 3]]
    cluster.tick(4)  # one round trip later
    p = state(cluster)
    assert (p.leader, p.isr, p.elr, p.last_known_elr) == (3, (3,), (), ())
    assert [e["leader"] for e in cluster.events if e["kind"] == "unclean-recovery"] == [3]
    cluster.tick(300)
    assert all([e[:2] for e in log] == [(0, "a")] for log in cluster.replica_logs(0).values())
    assert cluster.invariant_violations() == []


def answer(ctl: Controller, broker: int, info: tuple[int, int], incarnation: int = 7) -> None:
    """Deliver broker `broker`'s reply to the latest GetReplicaLogInfo the controller sent it."""
    corr = ctl.log_info_rounds[0].asked[broker]
    reply = m.GetReplicaLogInfoResponse(f"b{broker}", "controller", broker, incarnation, 0, *info, corr)
    ctl.step(reply, 0)


def recovering(members: tuple[int, ...], alive: set[int]) -> tuple[Controller, PartitionState]:
    """A controller whose partition 0 has empty ISR and ELR: balanced recovery's case."""
    ctl, p = controller()
    p.isr, p.elr, p.last_known_elr, p.leader = (), (), members, -1
    ctl.alive = alive
    ctl.store.broker_epochs = dict.fromkeys((1, 2, 3), 7)
    return ctl, p


def test_balanced_recovery_waits_for_every_last_known_elr_member_and_asks_each() -> None:
    ctl, p = recovering((1, 3), {1})
    assert elr.candidate(ctl, p, None) == -1 and ctl.out == []  # 3 is not live: not even asked
    ctl.alive = {1, 3}
    assert elr.candidate(ctl, p, None) == -1
    asked = [(msg.dst, msg.broker_epoch) for msg in ctl.out if isinstance(msg, m.GetReplicaLogInfo)]
    assert asked == [("b1", 7), ("b3", 7)]  # addressed to the registered incarnations
    answer(ctl, 1, (0, 5))
    assert p.leader == -1  # 3 has not answered yet
    answer(ctl, 3, (0, 7))
    assert (p.leader, p.isr, p.elr, p.last_known_elr) == (3, (3,), (), ())  # the longer log
    assert ctl.log_info_rounds == {}


def test_balanced_recovery_prefers_the_latest_epoch_over_the_longest_log() -> None:
    ctl, p = recovering((1, 2), {1, 2})
    assert elr.candidate(ctl, p, None) == -1
    answer(ctl, 1, (4, 3))
    answer(ctl, 2, (2, 9))
    assert p.leader == 1


def test_balanced_recovery_ignores_answers_from_an_unregistered_incarnation() -> None:
    ctl, p = recovering((1, 2), {1, 2})
    elr.candidate(ctl, p, None)
    answer(ctl, 1, (0, 1))
    answer(ctl, 2, (0, 9), incarnation=6)  # sent by broker 2's previous process
    assert p.leader == -1
    ctl.out.clear()
    ctl.store.broker_epochs[1] = 8  # broker 1 rebooted: its answer no longer counts
    log_info_round.on_heartbeat(ctl, 1)
    log_info_round.on_heartbeat(ctl, 2)
    asked = [(msg.dst, msg.broker_epoch) for msg in ctl.out if isinstance(msg, m.GetReplicaLogInfo)]
    assert asked == [("b1", 8), ("b2", 7)]  # both asked again, at their registrations
    answer(ctl, 1, (0, 0), incarnation=8)
    answer(ctl, 2, (0, 9))
    assert p.leader == 2


def test_last_known_leader_recovery_elects_the_leader_the_isr_emptied_under() -> None:
    ctl, p = controller(replace(ELR, unclean_recovery="last-known-leader"))
    elr.set_isr(ctl, p, (1,))  # leader 1 (the initial state), ELR 2,3
    elr.set_isr(ctl, p, ())
    assert p.last_known_leader == 1
    p.elr, p.leader = (), -1
    ctl.alive = {2, 3}
    assert elr.candidate(ctl, p, None) == -1  # waits for broker 1 only
    ctl.alive = {1, 2, 3}
    assert elr.candidate(ctl, p, None) == 1 and p.isr == (1,)


def test_an_elr_member_is_elected_only_while_the_isr_is_empty() -> None:
    ctl, p = controller()
    p.isr, p.elr, p.leader = (1,), (2,), -1
    ctl.alive = {2}
    assert elr.candidate(ctl, p, None) == -1  # ISR non-empty: wait for its member
    p.isr = ()
    assert elr.candidate(ctl, p, None) == 2
    assert (p.isr, p.elr) == ((2,), ())


# Found by the campaign's soundness test on Hypothesis 6.131.9 (seed 20261127): every broker
# restarts uncleanly; broker 2 then loses power while the controller still counts it alive,
# and when broker 3's re-registration empties the ISR, balanced recovery elects broker 2 on
# the log information of its last heartbeat (from before the power loss): an empty log.
# Kafka asks the replicas at recovery time (GetReplicaLogInfo, KIP-966), and so does the
# model now (log_info_round.py): broker 2 answers only once it is back, with its real log.
AFTER_RECOVERY = [
    {"kind": "crash", "args": {"broker": 1}},
    {"kind": "send", "args": {"message": "m1", "partition": 0, "process": 0}},
    {"kind": "crash", "args": {"broker": 2}},
    {"kind": "crash", "args": {"broker": 3}},
    {"kind": "restart", "args": {"broker": 2}},
    {"kind": "tick", "args": {"ms": 1}},
    {"kind": "restart", "args": {"broker": 3}},
]


def test_balanced_recovery_does_not_elect_on_a_power_lost_brokers_stale_log_info() -> None:
    kept = run_scenario(ELR, 50348, AFTER_RECOVERY)
    assert not kept.violation, kept.story()
    power_loss = {"kind": "power-loss", "args": {"broker": 2}}
    lost = run_scenario(ELR, 50348, [*AFTER_RECOVERY, power_loss])
    assert not lost.violation, lost.story()


# The same defect as found by an ELR soundness sweep of main before the fix (seed 62,
# `benchmarks/sweep_soundness_configs.py --only elr`): broker 1 loses power just after its
# restart, broker 3's re-registration empties the ISR, and the recovery elected broker 1 on
# the log it reported before the power loss.
AFTER_A_QUICK_RESTART = [
    {"kind": "partition", "args": {"groups": [["b1"], ["b2"]]}},
    {"kind": "send", "args": {"message": "m1", "partition": 0, "process": 0}},
    {"kind": "crash", "args": {"broker": 3}},
    {"kind": "crash", "args": {"broker": 1}},
    {"kind": "restart", "args": {"broker": 1}},
    {"kind": "tick", "args": {"ms": 1}},
    {"kind": "power-loss", "args": {"broker": 1}},
    {"kind": "restart", "args": {"broker": 3}},
]


def test_balanced_recovery_asks_a_broker_that_lost_power_after_its_restart() -> None:
    result = run_scenario(ELR, 997, AFTER_A_QUICK_RESTART)
    assert not result.violation, result.story()
    rounds = [e for e in result.events if e["kind"] == "log-info-round"]
    assert rounds, "the scenario no longer reaches balanced recovery"
