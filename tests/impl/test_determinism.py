"""Same seed and calls → byte-identical event log and history."""

from __future__ import annotations

import json

from replicheck.impl import Cluster, ClusterConfig


def _script(seed: int) -> Cluster:
    cluster = Cluster(ClusterConfig(partition_count=2), seed=seed)
    cluster.set_message_delay_ms(1, 15)
    cluster.set_message_loss(0.2)
    for i in range(6):
        process = i % 2
        if cluster.is_idle(process):
            cluster.send(process, i % 2, f"m{i}")
        cluster.tick(37)
    cluster.crash(1)
    cluster.poll(3, 0, 0)
    cluster.tick(150)
    cluster.partition([["b2", "c0"], ["b3", "controller"]])
    if cluster.is_idle(0):
        cluster.send(0, 1, "late")
    cluster.tick(200)
    cluster.controller_failover()
    cluster.restart(1)
    cluster.final_read(9)
    return cluster


def test_same_seed_same_calls_same_bytes() -> None:
    a, b = _script(11), _script(11)
    assert a.event_log_text() == b.event_log_text()
    assert json.dumps(a.history) == json.dumps(b.history)
    assert a.replica_logs(0) == b.replica_logs(0)


def test_the_seed_drives_the_network() -> None:
    # With random delays and loss, another seed takes another path.
    assert _script(11).event_log_text() != _script(12).event_log_text()


def test_event_log_text_format() -> None:
    cluster = Cluster(ClusterConfig(), seed=0)
    first = cluster.event_log_text().splitlines()[0]
    assert first == '0 leader {"isr":[1,2,3],"leader":1,"leader_epoch":0,"partition":"orders-0"}'
