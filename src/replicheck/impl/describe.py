"""`kafka-topics.sh --describe` lines for a cluster, from the controller's committed state.

Format (single spaces, as the project documents it):
`Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3`; `Leader: -1` when the
partition has no leader. The two filters mirror `--under-replicated-partitions` (ISR smaller
than the replica set) and `--unavailable-partitions` (no leader, or the leader is not live
as far as the controller knows); with both, a partition matching either is listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from replicheck.impl.replica import ROLE_FOLLOWER, ROLE_LEADER, ROLE_NONE

if TYPE_CHECKING:  # the cluster calls these functions with itself: a runtime import would cycle
    from replicheck.impl.cluster import Cluster


_ROLE_NAMES = {ROLE_LEADER: "leader", ROLE_FOLLOWER: "follower", ROLE_NONE: "none"}


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica of a partition as its broker holds it (`None`: the broker is down)."""

    broker: int
    live: bool
    role: str | None  # "leader", "follower" or "none" (not yet told its role)
    leader_epoch: int | None
    hw: int | None
    leo: int  # the log on disk survives a crash, so it is known for a down broker too


@dataclass(frozen=True)
class PartitionStatus:
    """A partition as the controller committed it, plus each replica's own view.

    `leader`, `leader_epoch` and `isr` are the controller's (what the describe line
    prints); `replicas` are the brokers' (what each believes and holds), in broker order."""

    index: int
    key: str
    leader: int | None  # None while leaderless
    leader_epoch: int
    isr: tuple[int, ...]
    assigned: tuple[int, ...]  # the replica set, preferred leader first
    replicas: tuple[ReplicaStatus, ...]


def partition_status(cluster: Cluster, index: int) -> PartitionStatus:
    """The structured state of partition `index` (read-only)."""
    p = cluster.store.partitions[index]
    assert p.index == index
    replicas = []
    for broker, disk in sorted(cluster.disks.items()):
        if index not in disk:
            continue
        node = cluster.brokers.get(broker)
        r = node.replicas[index] if node is not None else None
        replicas.append(
            ReplicaStatus(
                broker=broker,
                live=r is not None,
                role=None if r is None else _ROLE_NAMES[r.role],
                leader_epoch=None if r is None else r.leader_epoch,
                hw=None if r is None else r.hw,
                leo=disk[index].leo,
            )
        )
    return PartitionStatus(
        index=index,
        key=p.key,
        leader=p.leader if p.leader >= 0 else None,
        leader_epoch=p.leader_epoch,
        isr=tuple(p.isr),
        assigned=tuple(p.replicas),
        replicas=tuple(replicas),
    )


def format_line(
    topic: str, partition: int, leader: int, replicas: tuple[int, ...], isr: tuple[int, ...]
) -> str:
    return (
        f"Topic: {topic} Partition: {partition} Leader: {leader if leader >= 0 else -1} "
        f"Replicas: {','.join(map(str, replicas))} Isr: {','.join(map(str, isr))}"
    )


def describe_lines(
    cluster: Cluster, under_replicated: bool = False, unavailable: bool = False
) -> list[str]:
    lines = []
    alive = cluster.controller.alive
    for p in cluster.store.partitions:
        is_under = len(p.isr) < len(p.replicas)
        is_unavailable = p.leader < 0 or p.leader not in alive
        if (under_replicated or unavailable) and not (
            (under_replicated and is_under) or (unavailable and is_unavailable)
        ):
            continue
        lines.append(format_line(cluster.config.topic, p.index, p.leader, p.replicas, p.isr))
    return lines
