"""`kafka-topics.sh --describe` lines for a cluster, from the controller's committed state.

Format (single spaces, as the project documents it):
`Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3`; `Leader: -1` when the
partition has no leader. The two filters mirror `--under-replicated-partitions` (ISR smaller
than the replica set) and `--unavailable-partitions` (no leader, or the leader is not live
as far as the controller knows); with both, a partition matching either is listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replicheck.impl.cluster import Cluster


def format_line(topic: str, partition: int, leader: int, replicas: tuple[int, ...],
                isr: tuple[int, ...]) -> str:
    return (f"Topic: {topic} Partition: {partition} Leader: {leader if leader >= 0 else -1} "
            f"Replicas: {','.join(map(str, replicas))} Isr: {','.join(map(str, isr))}")


def describe_lines(cluster: Cluster, under_replicated: bool = False,
                   unavailable: bool = False) -> list[str]:
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
