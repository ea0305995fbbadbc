"""Protocol moments the campaign can aim a tick at (read-only views of the simulation).

A fault matters most in a window of a few milliseconds: an ISR expansion proposed but not
yet committed (the fetch answer that carries the new member's missing records is still in
flight), an expansion committed by the controller before the leader has heard back, a new
leader elected before its followers have truncated. Steps of fixed tick sizes rarely end
inside such a window; `Executor.tick_until` with one of these predicates ends a tick exactly
there, and the recorded step is a plain `tick` of the elapsed time.

The predicates read implementation state (they aim the search; verdicts never depend on
them) and must not change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicheck.impl.replica import ROLE_LEADER

if TYPE_CHECKING:
    from replicheck.impl import Cluster


def pending_expansion(cluster: Cluster) -> tuple[int, int, int] | None:
    """(partition, leader, joining follower) while a leader's AlterIsr adding a member is in
    flight, else None."""
    for p in cluster.store.partitions:
        node = cluster.brokers.get(p.leader) if p.leader >= 0 else None
        if node is None:
            continue
        r = node.replicas[p.index]
        if r.role != ROLE_LEADER or r.pending_isr is None:
            continue
        joining = [b for b in r.pending_isr if b not in r.isr]
        if joining:
            return (p.index, p.leader, joining[0])
    return None


def joining_lacks(cluster: Cluster, partition: int, leader: int, member: int) -> int:
    """How many records `leader` holds beyond the offset `member` last fetched from: what the
    answer to that fetch carries. A member proposed for the ISR while it still lacks records
    the leader holds joins without them if that answer is lost (the leader judged it by a
    high watermark that lagged, or records beyond it are in flight). 0 when `leader` does not
    lead `partition` or has not heard from `member`."""
    node = cluster.brokers.get(leader)
    if node is None or partition >= len(node.replicas):
        return 0
    r = node.replicas[partition]
    if r.role != ROLE_LEADER or member not in r.f_leo:
        return 0
    return max(0, r.log.leo - r.f_leo[member])


def controller_ahead(cluster: Cluster) -> tuple[int, int, int] | None:
    """(partition, leader, new member) while the controller has committed an expansion the
    leader has not adopted yet, else None."""
    for p in cluster.store.partitions:
        node = cluster.brokers.get(p.leader) if p.leader >= 0 else None
        if node is None:
            continue
        r = node.replicas[p.index]
        if r.role != ROLE_LEADER or r.leader_epoch != p.leader_epoch:
            continue
        new = [b for b in p.isr if b not in r.isr]
        if new:
            return (p.index, p.leader, new[0])
    return None


def leader_epochs(cluster: Cluster) -> tuple[int, ...]:
    """The controller's leader epoch per partition (a change means an election)."""
    return tuple(p.leader_epoch for p in cluster.store.partitions)


def log_ends(cluster: Cluster, partition: int) -> dict[int, int]:
    """Each replica's log length for `partition` (dead brokers' disks included), without
    copying the logs as `Cluster.replica_logs` does: the menu asks several times a step."""
    return {
        broker: len(disk[partition].entries)
        for broker, disk in cluster.disks.items()
        if partition in disk
    }


def first_copy(cluster: Cluster, partition: int, ends_before: dict[int, int]) -> bool:
    """Has a record appended since `ends_before` (the replicas' log lengths then) reached a
    second replica while some replica still lacks it? That is the moment a write is on
    some replicas only, as many as the network lets fetch it so far: what a failover has
    to resolve. (A write that reaches every replica at once never shows it.)"""
    top = max(ends_before.values(), default=0)
    ends = log_ends(cluster, partition)
    holders = sum(1 for n in ends.values() if n > top)
    return holders >= 2 or (holders == 1 and len(ends) == 1)


def client_leader(cluster: Cluster, process: int, partition: int) -> int | None:
    """The broker client `process` would send `partition`'s requests to now: the leader its
    metadata cache names, or None when it has no cache yet (its first request asks the
    controller). A client whose cache names a dead leader waits a request timeout before
    it asks again, so a write it starts during a failover lands nowhere."""
    return cluster.client_leader(process, partition)
