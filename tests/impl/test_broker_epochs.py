"""Broker registration epochs (KIP-380, KIP-841, KIP-903), one rule per test, each asserting
concrete controller or replica state."""

from __future__ import annotations

from dataclasses import replace

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl import messages as m

from .test_protocol import replica, send

EPOCHS = ClusterConfig(broker_epochs=True)


def flawed(name: str) -> ClusterConfig:
    return replace(EPOCHS, flaws=frozenset({name}))


def isr(cluster: Cluster) -> tuple[int, ...]:
    return cluster.store.partitions[0].isr


def test_every_start_registers_a_new_epoch_kept_across_controller_failover() -> None:
    cluster = Cluster(EPOCHS, seed=1)
    cluster.tick(5)
    assert cluster.store.broker_epochs == {1: 1, 2: 1, 3: 1}
    cluster.crash(2)
    cluster.restart(2)
    cluster.tick(5)
    assert cluster.store.broker_epochs[2] == 3  # one incarnation number per start and stop
    cluster.controller_failover()
    assert cluster.controller.store.broker_epochs == {1: 1, 2: 3, 3: 1}


def test_kip841_a_rebooted_broker_leaves_every_isr() -> None:
    cluster = Cluster(EPOCHS, seed=1)
    send(cluster, 0, "a")
    cluster.replace_disk(3)
    cluster.restart(3)  # back well within its session: the controller never saw it die
    cluster.tick(5)
    assert isr(cluster) == (1, 2)
    cluster.crash(1)
    cluster.tick(200)
    assert cluster.store.partitions[0].leader == 2
    assert isr(cluster) == (2, 3)  # back in once caught up, with its new epoch
    assert cluster.replica_logs(0) == {1: [(0, "a")], 2: [(0, "a")], 3: [(0, "a")]}


def test_without_kip841_a_rebooted_empty_broker_stays_in_the_isr_and_is_elected() -> None:
    cluster = Cluster(flawed("rebooted-broker-stays-in-isr"), seed=1)
    send(cluster, 0, "a")
    cluster.replace_disk(2)
    cluster.restart(2)
    cluster.tick(2)  # registered again, not yet caught up
    assert isr(cluster) == (1, 2, 3) and cluster.replica_logs(0)[2] == []
    cluster.crash(1)
    cluster.tick(200)
    assert cluster.store.partitions[0].leader == 2
    cluster.tick(200)
    assert cluster.replica_logs(0)[3] == []  # truncated to the empty new leader: a is gone


def test_kip380_state_for_another_incarnation_is_ignored() -> None:
    cluster = Cluster(EPOCHS, seed=1)
    cluster.tick(5)
    node = cluster.brokers[2]
    assert node is not None and node.incarnation == 1
    before = replica(cluster, 2).leader_epoch
    stale = m.LeaderAndIsr("controller", "b2", 0, 0, 2, before + 1, (2,), 99, broker_epoch=7)
    node.step(stale, cluster.now_ms)
    assert replica(cluster, 2).leader_epoch == before
    fresh = m.LeaderAndIsr("controller", "b2", 0, 0, 2, before + 1, (2,), 99, broker_epoch=1)
    node.step(fresh, cluster.now_ms)
    assert replica(cluster, 2).leader_epoch == before + 1


def _expansion(cluster: Cluster, member_epoch: int) -> m.AlterIsrResponse:
    p = cluster.store.partitions[0]
    request = m.AlterIsr("b1", "controller", 1, 0, p.leader_epoch, p.partition_epoch,
                         (1, 2, 3), (1, 1, member_epoch))
    [answer] = cluster.controller.step(request, cluster.now_ms)
    assert isinstance(answer, m.AlterIsrResponse)
    return answer


def _shrunk_cluster(config: ClusterConfig) -> Cluster:
    cluster = Cluster(config, seed=1)
    cluster.partition([["b1"], ["b3"]])
    cluster.tick(200)
    assert isr(cluster) == (1, 2)
    cluster.crash(3)
    cluster.restart(3)  # registers epoch 3
    cluster.tick(3)
    return cluster


def test_kip903_an_addition_with_a_stale_broker_epoch_is_rejected() -> None:
    cluster = _shrunk_cluster(EPOCHS)
    assert cluster.store.broker_epochs[3] == 3
    answer = _expansion(cluster, member_epoch=1)
    assert answer.error == m.STALE_BROKER_EPOCH and answer.isr == (1, 2)
    assert _expansion(cluster, member_epoch=3).error == m.NONE
    assert isr(cluster) == (1, 2, 3)


def test_kip903_flaw_accepts_the_stale_epoch() -> None:
    cluster = _shrunk_cluster(flawed("stale-broker-epoch-joins-isr"))
    assert _expansion(cluster, member_epoch=1).error == m.NONE
    assert isr(cluster) == (1, 2, 3)


def test_kip841_a_dead_broker_cannot_be_added() -> None:
    cluster = _shrunk_cluster(EPOCHS)
    cluster.crash(3)
    cluster.tick(100)  # its session expires
    assert 3 not in cluster.controller.alive
    assert _expansion(cluster, member_epoch=3).error == m.INELIGIBLE_REPLICA


def _leader_fetch(cluster: Cluster, broker_epoch: int, offset: int) -> None:
    leader = cluster.brokers[1]
    assert leader is not None
    fetch = m.Fetch("b3", "b1", 0, 3, replica(cluster, 1).leader_epoch, offset, 999, broker_epoch)
    leader.step(fetch, cluster.now_ms)


def test_kafka15221_a_fetch_from_a_previous_incarnation_is_ignored() -> None:
    cluster = Cluster(EPOCHS, seed=1)
    send(cluster, 0, "a")
    cluster.tick(20)
    lead = replica(cluster, 1)
    assert lead.f_broker_epoch[3] == 1 and lead.f_leo[3] == 1
    _leader_fetch(cluster, broker_epoch=3, offset=0)  # the new incarnation, empty disk
    assert (lead.f_broker_epoch[3], lead.f_leo[3]) == (3, 0)
    _leader_fetch(cluster, broker_epoch=1, offset=1)  # delayed, from the old incarnation
    assert (lead.f_broker_epoch[3], lead.f_leo[3]) == (3, 0)


def test_kafka15221_flaw_lets_the_stale_fetch_vouch_for_the_new_incarnation() -> None:
    cluster = Cluster(flawed("stale-fetch-expands-isr"), seed=1)
    send(cluster, 0, "a")
    cluster.tick(20)
    lead = replica(cluster, 1)
    _leader_fetch(cluster, broker_epoch=3, offset=0)
    _leader_fetch(cluster, broker_epoch=1, offset=1)
    assert (lead.f_broker_epoch[3], lead.f_leo[3]) == (3, 1)


def test_broker_epochs_off_keeps_a_rebooted_broker_in_the_isr() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.crash(3)
    cluster.restart(3)
    cluster.tick(5)
    assert isr(cluster) == (1, 2, 3) and cluster.store.broker_epochs == {}
