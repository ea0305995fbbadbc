"""Replica invariants that must hold at every step of a correct cluster.

They read implementation state (unlike the history checkers) and are evaluated on demand:
- one leader per (partition, leader epoch), ever;
- the current leader's HW never passes the LEO of any ISR member (controller's ISR);
- every ISR member holds exactly the leader's records below the HW;
- the HW of a leader never goes down within one leader epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicheck.impl.replica import ROLE_LEADER

if TYPE_CHECKING:
    from replicheck.impl.cluster import Cluster


def check(cluster: Cluster) -> list[str]:
    out = list(cluster._leader_violations)
    seen = cluster._hw_seen
    for p in cluster.store.partitions:
        if p.leader < 0:
            continue
        lead = cluster.brokers.get(p.leader)
        if lead is None:
            continue
        r = lead.replicas[p.index]
        if r.role != ROLE_LEADER or r.leader_epoch != p.leader_epoch:
            continue
        hw = r.hw
        leader_entries = r.log.entries
        for b in p.isr:
            if b == p.leader:
                continue
            log = cluster.disks[b][p.index]
            if log.leo < hw:
                out.append(f"{p.key}: HW {hw} of leader {p.leader} (epoch {p.leader_epoch}) "
                           f"passes LEO {log.leo} of ISR member {b}")
            elif log.entries[:hw] != leader_entries[:hw]:
                at = next(o for o in range(hw) if log.entries[o] != leader_entries[o])
                out.append(f"{p.key}: committed prefix diverges at offset {at}: leader "
                           f"{p.leader} has {leader_entries[at][1]!r} (epoch "
                           f"{leader_entries[at][0]}), ISR member {b} has "
                           f"{log.entries[at][1]!r} (epoch {log.entries[at][0]})")
        key = (p.key, p.leader, p.leader_epoch)
        previous = seen.get(key)
        if previous is not None and hw < previous:
            out.append(f"{p.key}: HW of leader {p.leader} went down from {previous} to {hw} "
                       f"within epoch {p.leader_epoch}")
        if previous is None or hw > previous:
            seen[key] = hw
    return out
