"""One test per protocol rule, each asserting concrete cluster state."""

from __future__ import annotations

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.replica import ROLE_FOLLOWER, ROLE_LEADER


def wait(cluster: Cluster, process: int, bound_ms: int = 400) -> dict:
    """Tick until `process` is idle; return its completion."""
    for _ in range(bound_ms):
        if cluster.is_idle(process):
            break
        cluster.tick(1)
    assert cluster.is_idle(process)
    return cluster.history[-1] if cluster.history[-1]["process"] == process else next(
        op for op in reversed(cluster.history) if op["process"] == process)


def send(cluster: Cluster, process: int, message: str, partition: int = 0) -> dict:
    cluster.send(process, partition, message)
    return wait(cluster, process)


def poll(cluster: Cluster, process: int, offset: int, partition: int = 0) -> dict:
    cluster.poll(process, partition, offset)
    return wait(cluster, process)


def replica(cluster: Cluster, broker: int, partition: int = 0):
    node = cluster.brokers[broker]
    assert node is not None
    return node.replicas[partition]


def test_high_watermark_advances_when_every_isr_member_has_the_record() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    op = send(cluster, 0, "a")
    assert (op["type"], op["offset"]) == ("ok", 0)
    assert replica(cluster, 1).hw == 1
    # Followers learn the HW from their next fetch response (at most one fetch interval).
    assert replica(cluster, 2).hw == 0
    cluster.tick(cluster.config.fetch_interval_ms + 2)
    assert [replica(cluster, b).hw for b in (1, 2, 3)] == [1, 1, 1]
    assert cluster.replica_logs(0) == {1: [(0, "a")], 2: [(0, "a")], 3: [(0, "a")]}


def test_acks_all_waits_for_a_slow_isr_member_until_it_is_shrunk_out() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    cluster.tick(5)
    cluster.partition([["b1"], ["b3"]])  # only the b1-b3 link is cut
    cluster.send(0, 0, "a")
    cluster.tick(50)
    assert not cluster.is_idle(0)  # broker 3 is still in the ISR and lacks the record
    assert replica(cluster, 1).hw == 0
    op = wait(cluster, 0)
    assert (op["type"], op["offset"]) == ("ok", 0)
    assert cluster.describe() == ["Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2"]
    assert cluster.describe(under_replicated=True) == cluster.describe()
    assert cluster.describe(unavailable=True) == []


def test_isr_expands_again_once_the_follower_catches_up() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    cluster.partition([["b1"], ["b3"]])
    send(cluster, 0, "a")
    send(cluster, 0, "b")
    assert replica(cluster, 1).isr == (1, 2)
    cluster.heal()
    cluster.tick(60)
    assert cluster.describe() == [
        "Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3"]
    assert cluster.replica_logs(0)[3] == [(0, "a"), (0, "b")]


def test_min_insync_replicas_rejects_before_append() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.partition([["b1"], ["b2", "b3"]])
    cluster.tick(250)  # both followers shrink out
    assert replica(cluster, 1).isr == (1,)
    op = send(cluster, 0, "b")
    assert (op["type"], op["error"]) == ("fail", "NOT_ENOUGH_REPLICAS")
    assert cluster.replica_logs(0)[1] == [(0, "a")]  # nothing appended


def test_isr_shrinking_below_minimum_after_append_is_indeterminate() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    cluster.tick(5)
    cluster.partition([["b1"], ["b2", "b3"]])
    op = send(cluster, 0, "a")
    # Appended while the ISR was {1,2,3}; the HW passed it only once the ISR was {1}.
    assert (op["type"], op["error"]) == ("info", "NOT_ENOUGH_REPLICAS_AFTER_APPEND")
    assert cluster.replica_logs(0)[1] == [(0, "a")]


def test_clean_election_picks_a_live_isr_member_and_bumps_the_epoch() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.crash(1)
    cluster.tick(150)
    assert cluster.describe() == ["Topic: orders Partition: 0 Leader: 2 Replicas: 1,2,3 Isr: 2,3"]
    assert replica(cluster, 2).role == ROLE_LEADER
    assert replica(cluster, 2).leader_epoch == 1
    assert replica(cluster, 3).role == ROLE_FOLLOWER
    leader_events = [e for e in cluster.events if e["kind"] == "leader"]
    assert leader_events[-1] == {"time_ms": leader_events[-1]["time_ms"], "kind": "leader",
                                 "partition": "orders-0", "leader": 2, "leader_epoch": 1,
                                 "isr": [2, 3]}
    op = send(cluster, 0, "b")  # the client refreshes its metadata after the timeout
    if op["type"] != "ok":
        op = send(cluster, 0, "c")
    assert op["type"] == "ok"


def test_no_live_isr_member_means_offline_unless_unclean_election() -> None:
    for unclean, expected_leader in ((False, -1), (True, 2)):
        cluster = Cluster(ClusterConfig(unclean_leader_election=unclean), seed=1)
        send(cluster, 0, "a")
        cluster.crash(2)
        cluster.crash(3)
        cluster.tick(150)
        assert replica(cluster, 1).isr == (1,)
        cluster.crash(1)
        cluster.restart(2)
        cluster.tick(150)
        line = cluster.describe()[0]
        assert f"Leader: {expected_leader} " in line
        if unclean:
            assert line.endswith("Isr: 2")
        else:
            assert line.endswith("Isr: 1")
            assert cluster.describe(unavailable=True) == [line]


def test_follower_truncates_its_divergent_suffix_by_leader_epoch() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    # Broker 1 keeps client 0 but loses everyone else: a zombie leader.
    cluster.partition([["b1", "c0"], ["b2", "b3", "controller", "c1"]])
    cluster.send(0, 0, "zombie")
    cluster.tick(150)
    assert cluster.replica_logs(0)[1] == [(0, "a"), (0, "zombie")]
    assert replica(cluster, 2).role == ROLE_LEADER
    op = send(cluster, 1, "b")
    assert (op["type"], op["offset"]) == ("ok", 1)
    assert wait(cluster, 0)["type"] == "info"  # the zombie never got its write committed
    cluster.heal()
    cluster.tick(100)
    logs = cluster.replica_logs(0)
    assert logs[1] == logs[2] == logs[3] == [(0, "a"), (1, "b")]
    truncations = [e for e in cluster.events if e["kind"] == "truncate"]
    assert [(e["broker"], e["offset"]) for e in truncations] == [(1, 1)]
    assert cluster.invariant_violations() == []


def test_crash_keeps_the_page_cache_power_loss_does_not() -> None:
    config = ClusterConfig(flush="none")
    cluster = Cluster(config, seed=1)
    send(cluster, 0, "a")
    cluster.crash(2)
    assert cluster.replica_logs(0)[2] == [(0, "a")]
    cluster.power_loss(3)
    assert cluster.replica_logs(0)[3] == []
    assert cluster.events[-2]["kind"] == "power-loss"
    assert cluster.events[-2]["lost"] == {"orders-0": 1}
    assert cluster.events[-1] == {"time_ms": cluster.now_ms, "kind": "leo", "broker": 3,
                                  "partition": "orders-0", "leo": 0}
    # With an fsync per append nothing is lost.
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.power_loss(3)
    assert cluster.replica_logs(0)[3] == [(0, "a")]
    assert cluster.events[-1]["lost"] == {"orders-0": 0}


def test_restarted_follower_catches_up() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.crash(3)
    cluster.tick(150)
    send(cluster, 0, "b")
    cluster.restart(3)
    assert cluster.settle(1000)
    assert cluster.replica_logs(0)[3] == [(0, "a"), (0, "b")]
    assert cluster.describe()[0].endswith("Isr: 1,2,3")


def test_leader_restart_within_the_session_moves_leadership_to_a_new_epoch() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.crash(1)
    cluster.tick(5)
    cluster.restart(1)
    cluster.tick(20)
    assert replica(cluster, 2).role == ROLE_LEADER
    assert replica(cluster, 2).leader_epoch == 1
    assert replica(cluster, 1).role == ROLE_FOLLOWER
    assert cluster.invariant_violations() == []


def test_preferred_leader_election() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.crash(1)
    cluster.tick(150)
    cluster.restart(1)
    assert cluster.settle(1000)
    assert "Leader: 2 " in cluster.describe()[0]
    cluster.elect_preferred_leaders()
    cluster.tick(10)
    assert cluster.describe() == ["Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3"]
    assert replica(cluster, 1).leader_epoch == 2


def test_controller_failover_bumps_the_controller_epoch() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.controller_failover()
    cluster.tick(10)
    assert cluster.events[-0 - 1]["kind"] in {"hw", "leo", "controller-failover"}
    assert any(e == {"time_ms": e["time_ms"], "kind": "controller-failover",
                     "controller_epoch": 1} for e in cluster.events)
    assert all(cluster.brokers[b].controller_epoch == 1 for b in (1, 2, 3))
    # The new controller still detects failures and elects.
    cluster.crash(1)
    cluster.tick(150)
    assert "Leader: 2 " in cluster.describe()[0]


def test_zombie_leader_write_is_never_acknowledged() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    send(cluster, 1, "b")
    cluster.partition([["b1", "c0"], ["b2", "b3", "controller", "c1"]])
    cluster.send(0, 0, "lost-in-zombie")
    op = wait(cluster, 0)
    assert (op["type"], op["error"]) == ("info", "REQUEST_TIMED_OUT")
    cluster.final_read(9)
    final = [op for op in cluster.history if op.get("final") and op["type"] == "ok"]
    assert final[0]["value"] == [[0, "a"], [1, "b"]]
    assert cluster.invariant_violations() == []


def test_final_read_heals_restarts_and_reads_everything() -> None:
    cluster = Cluster(ClusterConfig(partition_count=2), seed=3)
    send(cluster, 0, "x", partition=0)
    send(cluster, 0, "y", partition=1)
    cluster.crash(2)
    cluster.partition([["b1"], ["b3"]])
    cluster.final_read(7)
    final = [op for op in cluster.history if op.get("final")]
    assert all(op["process"] == 7 for op in final)
    oks = [op for op in final if op["type"] == "ok" and op["value"]]
    assert [(op["key"], op["value"]) for op in oks] == [
        ("orders-0", [[0, "x"]]), ("orders-1", [[0, "y"]])]
    assert cluster.settled()


def test_poll_reads_only_below_the_high_watermark() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.partition([["b1"], ["b2", "b3"]])
    cluster.send(0, 0, "b")  # appended on the leader only
    cluster.tick(5)
    op = poll(cluster, 1, 0)
    assert op["value"] == [[0, "a"]]
    op = poll(cluster, 1, 5)
    assert (op["type"], op["error"]) == ("fail", "OFFSET_OUT_OF_RANGE")
