"""Slow links: one direction of one link delays every message by a fixed amount."""

from __future__ import annotations

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.stateful.steps import VOCABULARY, Bounds

CONFIG = ClusterConfig()


def _leo_of(cluster: Cluster, broker: int) -> int:
    return len(cluster.replica_logs(0)[broker])


def _send(cluster: Cluster, message: str) -> None:
    cluster.send(0, 0, message)


def test_a_slow_link_delays_only_its_direction() -> None:
    cluster = Cluster(CONFIG, seed=1)
    cluster.tick(20)
    cluster.set_link_delay_ms("b1", "b3", 15)  # the leader's answers to b3 are slow
    _send(cluster, "a")
    cluster.tick(10)
    assert _leo_of(cluster, 2) == 1 and _leo_of(cluster, 3) == 0
    cluster.tick(40)
    assert _leo_of(cluster, 3) == 1


def test_messages_sent_before_the_link_recovers_arrive_after_later_ones() -> None:
    cluster = Cluster(CONFIG, seed=1)
    cluster.tick(20)
    cluster.set_link_delay_ms("b3", "b1", 50)
    cluster.tick(15)  # b3's next fetch is on the slow link
    cluster.set_link_delay_ms("b3", "b1", 0)
    cluster.tick(12)  # b3 re-fetches only after 3 fetch intervals: still waiting
    in_flight = [q for q in cluster._queue if q[4] is not None and q[2] == "b1"]
    assert any(q[0] >= cluster.now_ms + 20 for q in in_flight)
    assert cluster.events[-1]["kind"] == "slow-link" and cluster.events[-1]["extra_ms"] == 0


def test_the_final_read_clears_slow_links() -> None:
    cluster = Cluster(CONFIG, seed=1)
    cluster.set_link_delay_ms("b2", "b1", 40)
    _send(cluster, "a")
    cluster.final_read(9)
    cleared = [e for e in cluster.events if e["kind"] == "slow-link" and e["extra_ms"] == 0]
    assert cleared == [
        {"time_ms": cleared[0]["time_ms"], "kind": "slow-link", "src": "b2", "dst": "b1"}
        | {"extra_ms": 0}
    ]
    assert cluster.liveness_violations == [] and cluster.invariant_violations() == []


def test_a_slow_link_is_not_reliable() -> None:
    cluster = Cluster(CONFIG, seed=1)
    cluster.set_link_delay_ms("b2", "b1", 5)
    assert not cluster.reliable_link("b1", "b2") and cluster.reliable_link("b1", "b3")


@pytest.mark.parametrize(
    ("src", "dst", "extra_ms"), [("b1", "b1", 5), ("b9", "b1", 5), ("b1", "b2", -1)]
)
def test_bad_slow_links_are_rejected(src: str, dst: str, extra_ms: int) -> None:
    with pytest.raises(ValueError):
        Cluster(CONFIG, seed=1).set_link_delay_ms(src, dst, extra_ms)


def test_slow_link_steps_are_validated() -> None:
    bounds = Bounds.of(CONFIG)
    kind = VOCABULARY["slow-link"]
    assert kind.problem({"src": "b1", "dst": "b2", "extra_ms": 30}, bounds) is None
    assert kind.problem({"src": "b1", "dst": "b1", "extra_ms": 30}, bounds) == (
        "dst",
        "a slow link joins two different nodes (dst equals src)",
    )
    found = kind.problem({"src": "b7", "dst": "b1", "extra_ms": 30}, bounds)
    assert found is not None and found[0] == "src"
    found = kind.problem({"src": "b1", "dst": "b2", "extra_ms": -1}, bounds)
    assert found is not None and found[0] == "extra_ms"
