"""Zombie-leader invariants (TLA+ kafka-specification style): a hand-built state must trip
each one, and the untouched state must trip none."""

from __future__ import annotations

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.replica import ROLE_LEADER


def committed_cluster() -> Cluster:
    """Leader 1, ISR 1,2,3, records a@0 and b@1 committed everywhere (HW 2)."""
    cluster = Cluster(ClusterConfig(), seed=3)
    for process, message in ((0, "a"), (1, "b")):
        cluster.send(process, 0, message)
        cluster.tick(20)
    assert cluster.settled()
    assert cluster.invariant_violations() == []
    return cluster


def make_zombie(cluster: Cluster, broker: int, isr: tuple[int, ...]) -> None:
    """Broker `broker` presumes leadership of orders-0 in an older epoch (never told)."""
    r = cluster.brokers[broker].replicas[0]
    r.role = ROLE_LEADER
    r.leader_epoch = -1
    r.isr = isr
    r.hw = 2


def test_untouched_state_is_clean() -> None:
    assert committed_cluster().invariant_violations() == []


def test_strong_isr_trips_for_a_zombie_when_a_true_isr_member_lacks_a_record() -> None:
    cluster = committed_cluster()
    make_zombie(cluster, 2, (1, 2, 3))
    cluster.disks[3][0].entries.pop()  # member 3 of the controller's ISR lost b@1
    texts = cluster.invariant_violations()
    assert any("zombie leader 2 (epoch -1)" in t and "passes LEO 1 of ISR member 3" in t
               for t in texts), texts


def test_strong_isr_trips_when_records_below_the_hw_differ() -> None:
    cluster = committed_cluster()
    make_zombie(cluster, 2, (1, 2, 3))
    cluster.disks[2][0].entries[1] = (0, "zombie-b")  # the zombie itself holds another b
    texts = cluster.invariant_violations()
    assert any("records below the HW 2 of zombie leader 2" in t and "offset 1" in t
               for t in texts), texts


def test_weak_isr_trips_over_the_zombies_own_isr_view() -> None:
    cluster = committed_cluster()
    store = cluster.store.partitions[0]
    store.isr = (1, 2)  # the controller dropped 3; the zombie still counts it
    make_zombie(cluster, 2, (2, 3))
    cluster.disks[3][0].entries.pop()
    texts = cluster.invariant_violations()
    assert any("passes LEO 1 of member 3 of its own ISR" in t for t in texts), texts


def test_weak_isr_compares_records_only_for_members_at_the_zombies_epoch() -> None:
    cluster = committed_cluster()
    store = cluster.store.partitions[0]
    store.isr = (1, 2)
    cluster.brokers[1].replicas[0].isr = (1, 2)  # the true leader agrees
    make_zombie(cluster, 2, (2, 3))
    cluster.disks[3][0].entries[1] = (0, "other")  # member 3 has moved on to epoch 0
    assert cluster.invariant_violations() == []
    cluster.brokers[3].replicas[0].leader_epoch = -1  # ... now it is at the zombie's epoch
    texts = cluster.invariant_violations()
    assert any("member 3 of its own ISR has 'other'" in t for t in texts), texts


def test_leader_in_isr_trips() -> None:
    cluster = committed_cluster()
    cluster.store.partitions[0].isr = (2, 3)
    texts = cluster.invariant_violations()
    assert any("leader 1 (epoch 0) is not in the ISR 2,3" in t for t in texts), texts


def test_hw_never_goes_down_within_an_epoch_for_a_zombie_too() -> None:
    cluster = committed_cluster()
    make_zombie(cluster, 2, (2,))
    assert cluster.invariant_violations() == []
    cluster.brokers[2].replicas[0].hw = 1
    texts = cluster.invariant_violations()
    assert any("HW of zombie leader 2 (epoch -1) went down from 2 to 1" in t for t in texts)


def _power_loss_then_catch_up(watch: bool) -> Cluster:
    """flush=none: broker 3 loses its page cache, comes back empty while still in the ISR, and
    fetches a and b back within the next tick; nobody asks in between."""
    cluster = Cluster(ClusterConfig(flush="none"), seed=3)
    if watch:
        cluster.watch_invariants()
    for process, message in ((0, "a"), (1, "b")):
        cluster.send(process, 0, message)
        cluster.tick(20)
    cluster.power_loss(3)
    cluster.restart(3)
    cluster.tick(200)
    assert cluster.replica_logs(0)[3] == cluster.replica_logs(0)[1], "3 caught up again"
    return cluster


def test_a_watched_cluster_reports_a_broken_state_that_is_gone_by_the_next_question() -> None:
    assert _power_loss_then_catch_up(watch=False).invariant_violations() == []
    texts = _power_loss_then_catch_up(watch=True).invariant_violations()
    assert texts == [
        "orders-0: HW 2 of leader 1 (epoch 0) passes LEO 0 of ISR member 3",
        "orders-0: committed record 'a' (epoch 0) at offset 0 is not on ISR member 3, "
        "which has nothing",
    ]


def test_watching_changes_no_history() -> None:
    watched, unwatched = _power_loss_then_catch_up(True), _power_loss_then_catch_up(False)
    assert watched.history == unwatched.history
    assert watched.event_log_text() == unwatched.event_log_text()
