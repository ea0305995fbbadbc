"""ClusterConfig round trip and validation; describe() in kafka-topics.sh format."""

from __future__ import annotations

import json

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.describe import format_line


def test_config_round_trips_through_json() -> None:
    config = ClusterConfig(partition_count=3, acks="1", flaws=frozenset({"truncate-to-hw"}))
    data = json.loads(json.dumps(config.to_dict()))
    assert data["flaws"] == ["truncate-to-hw"]
    assert ClusterConfig.from_dict(data) == config
    assert ClusterConfig.from_dict({}) == ClusterConfig()


def test_config_defaults_are_the_correct_configuration() -> None:
    c = ClusterConfig()
    assert (c.broker_count, c.replication_factor, c.min_insync_replicas) == (3, 3, 2)
    assert (c.acks, c.unclean_leader_election, c.flush, c.flaws) == (
        "all", False, "every-append", frozenset())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"acks": "2"}, "acks must be one of"),
        ({"replication_factor": 4}, "replication_factor"),
        ({"flush": "sometimes"}, "flush must be one of"),
        ({"flaws": frozenset({"nope"})}, "unknown flaw flag(s): nope"),
        ({"fetch_interval_ms": 0}, "fetch_interval_ms must be >= 1"),
    ],
)
def test_config_rejects_nonsense(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ClusterConfig(**kwargs)


def test_from_dict_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="unknown ClusterConfig field"):
        ClusterConfig.from_dict({"brokers": 3})


def test_describe_line_format() -> None:
    assert format_line("orders", 0, 1, (1, 2, 3), (1, 2, 3)) == (
        "Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3")
    assert format_line("t", 2, -1, (3, 1, 2), (3,)) == (
        "Topic: t Partition: 2 Leader: -1 Replicas: 3,1,2 Isr: 3")


def test_describe_lists_every_partition_with_round_robin_replicas() -> None:
    cluster = Cluster(ClusterConfig(partition_count=3), seed=0)
    assert cluster.describe() == [
        "Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3",
        "Topic: orders Partition: 1 Leader: 2 Replicas: 2,3,1 Isr: 2,3,1",
        "Topic: orders Partition: 2 Leader: 3 Replicas: 3,1,2 Isr: 3,1,2",
    ]
    assert "\t" not in "".join(cluster.describe())
    assert cluster.describe(under_replicated=True) == []
    assert cluster.describe(unavailable=True) == []


def test_describe_filters_after_a_failure() -> None:
    cluster = Cluster(ClusterConfig(partition_count=3), seed=0)
    cluster.tick(20)
    cluster.crash(3)
    cluster.tick(150)
    assert cluster.describe(under_replicated=True) == [
        "Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2",
        "Topic: orders Partition: 1 Leader: 2 Replicas: 2,3,1 Isr: 2,1",
        "Topic: orders Partition: 2 Leader: 1 Replicas: 3,1,2 Isr: 1,2",
    ]
    assert cluster.describe(unavailable=True) == []


def test_partition_names_accepted_by_the_driver() -> None:
    cluster = Cluster(ClusterConfig(partition_count=2), seed=0)
    assert cluster.partition_index("orders-1") == 1
    assert cluster.partition_index(0) == 0
    with pytest.raises(ValueError):
        cluster.partition_index("orders-2")
    with pytest.raises(ValueError):
        cluster.partition_index("other-0")
    with pytest.raises(ValueError):
        cluster.partition([["b9"]])
