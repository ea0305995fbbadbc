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
