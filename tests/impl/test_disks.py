"""Disk faults, one rule per test: a periodic flush bounds what a power loss takes (only the
suffix since the last flush), and a replaced disk comes back empty whatever was fsynced."""

from __future__ import annotations

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.storage import PartitionLog

from .test_protocol import send


def test_flush_marks_everything_written_so_far_durable() -> None:
    log = PartitionLog(fsync=False)
    log.append(0, "a")
    log.append(0, "b")
    log.flush()
    log.append(1, "c")
    log.hw_checkpoint = 3
    assert log.power_loss() == 1
    assert log.entries == [(0, "a"), (0, "b")]
    assert log.epochs == [(0, 0)]  # epoch 1 started at the lost offset 2
    assert log.hw_checkpoint == 2


def test_interval_flush_keeps_what_was_flushed_and_drops_the_suffix() -> None:
    config = ClusterConfig(flush="interval", flush_interval_ms=50)
    cluster = Cluster(config, seed=1)
    send(cluster, 0, "a")
    cluster.tick(60)  # every broker has flushed at least once since "a" arrived
    disk = cluster.disks[2][0]
    assert disk.flushed == 1
    send(cluster, 0, "b")  # acknowledged well within the next interval
    assert disk.leo == 2 and disk.flushed == 1
    cluster.power_loss(2)
    assert cluster.replica_logs(0)[2] == [(0, "a")]
    event = next(e for e in reversed(cluster.events) if e["kind"] == "power-loss")
    assert event["lost"] == {"orders-0": 1}
    # A crash (the process only) keeps the page cache, flushed or not.
    cluster.crash(3)
    assert cluster.replica_logs(0)[3] == [(0, "a"), (0, "b")]


def test_interval_flush_happens_on_every_broker_each_interval() -> None:
    config = ClusterConfig(flush="interval", flush_interval_ms=30)
    cluster = Cluster(config, seed=1)
    send(cluster, 0, "a")
    send(cluster, 0, "b")
    cluster.tick(31)
    assert [cluster.disks[b][0].flushed for b in (1, 2, 3)] == [2, 2, 2]


def test_the_default_flush_policy_never_loses_an_append() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.power_loss(1)
    assert cluster.replica_logs(0)[1] == [(0, "a")]


def test_a_replaced_disk_is_empty_even_with_an_fsync_per_append() -> None:
    cluster = Cluster(ClusterConfig(), seed=1)
    send(cluster, 0, "a")
    cluster.replace_disk(3)
    assert not cluster.is_live(3)
    assert cluster.replica_logs(0)[3] == []
    assert cluster.disks[3][0].epochs == [] and cluster.disks[3][0].hw_checkpoint == 0
    assert cluster.events[-2] == {"time_ms": cluster.now_ms, "kind": "replace-disk",
                                  "broker": 3, "lost": {"orders-0": 1}}
    cluster.restart(3)
    assert cluster.settle(1000)
    assert cluster.replica_logs(0)[3] == [(0, "a")]  # refilled from the leader


def test_a_replace_disk_step_replays_and_validates_as_a_case_step() -> None:
    from replicheck.report.case_fields import _StepRules
    from replicheck.stateful.scenario import Step, run_scenario

    config = ClusterConfig()
    steps = [Step("send", {"process": 0, "partition": 0, "message": "m1"}),
             Step("replace-disk", {"broker": 1}), Step("tick", {"ms": 200})]
    result = run_scenario(config, 3, steps)
    assert result.step_outcomes[1].startswith("→ ok; broker 1 lost 1 of orders-0")
    rules = _StepRules(config, clients=3, default_wait_ms=350)
    assert rules.problem("replace-disk", {"broker": 1}) is None
    assert rules.problem("replace-disk", {"broker": 9}) is not None
