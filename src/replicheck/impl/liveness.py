"""Liveness: after teardown the cluster must converge within a bound derived from its config.

Teardown heals the network, clears message faults and restarts every broker. From then on
no fault happens, so a correct cluster converges: every partition has a leader, the ISR is
the whole replica set, every replica's LEO equals the leader's, HW = LEO, and no follower is
still truncating. `convergence_bound_ms` says how long that may take, as a sum of phases
that can each only start once the previous one ended, each at its worst case:

1. leadership: a broker silent before the heal is declared dead at most one session after
   its last heartbeat, and a lost LeaderAndIsr is re-sent after the next heartbeat shows a
   stale partition epoch: `session_timeout_ms + 2 * heartbeat_interval_ms` (+ delays);
2. a leader's AlterIsr lost before the heal is re-sent after `request_timeout_ms`, and an
   outstanding client operation ends by then too: `request_timeout_ms`;
3. truncation: one OffsetsForLeaderEpoch round per epoch the follower knows, plus one; a
   request lost before the heal is re-sent after three fetch intervals;
4. catch-up: one fetch per `max_fetch_records` records, each parked at most one fetch
   interval;
5. ISR: a follower that lagged while cut off may first be dropped after
   `replica_lag_time_max_ms`, then every follower joins by its own AlterIsr round trip
   (one pending change at a time), one rejected proposal retried after `request_timeout_ms`;
6. the HW reaches followers with their next fetch.

The sum is doubled: the margin covers retries the phases do not enumerate (an election
racing a truncation, a rejected AlterIsr) without letting a follower that loops forever
pass. The soundness sweep records the longest convergence it saw against this bound.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from replicheck.impl import messages as m
from replicheck.impl.replica import (
    FETCHER_FETCHING,
    FETCHER_IDLE,
    FETCHER_TRUNCATING,
    ROLE_FOLLOWER,
    ROLE_LEADER,
)

if TYPE_CHECKING:
    from replicheck.impl.cluster import Cluster
    from replicheck.impl.config import ClusterConfig

# How long a non-converged cluster is watched for the requests its brokers keep repeating,
# in fetch intervals, and how often the same request must recur to count as a loop.
WATCH_FETCH_INTERVALS = 30
LOOP_REPEATS = 3
MARGIN_FACTOR = 2

_ROLE = {ROLE_LEADER: "leader", ROLE_FOLLOWER: "follower"}
_FETCHER = {FETCHER_IDLE: "idle", FETCHER_TRUNCATING: "truncating", FETCHER_FETCHING: "fetching"}


def convergence_bound_ms(
    config: ClusterConfig, max_epochs: int, max_leo: int, max_delay_ms: int
) -> int:
    """The longest a correct cluster may take to converge after teardown (see above).

    `max_epochs` / `max_leo`: the most leader epochs / records any replica holds at the
    start of teardown; `max_delay_ms`: the longest one-way delay a message may still have.
    """
    rtt = 2 * max(max_delay_ms, config.network_delay_ms)
    fetch = config.fetch_interval_ms
    leadership = config.session_timeout_ms + 2 * config.heartbeat_interval_ms + 2 * rtt
    alter_isr = config.request_timeout_ms
    truncation = (max_epochs + 1) * (3 * fetch + rtt)
    catch_up = (max_leo // config.max_fetch_records + 2) * (fetch + rtt)
    isr = (
        config.replica_lag_time_max_ms
        + config.request_timeout_ms
        + config.replication_factor * (fetch + 2 * rtt)
    )
    hw = fetch + rtt
    return MARGIN_FACTOR * (leadership + alter_isr + truncation + catch_up + isr + hw)


def cluster_bound_ms(cluster: Cluster, max_delay_ms: int) -> int:
    """`convergence_bound_ms` for the cluster's current disks."""
    logs = [log for disk in cluster.disks.values() for log in disk.values()]
    max_epochs = max((len(log.epochs) for log in logs), default=0)
    max_leo = max((log.leo for log in logs), default=0)
    return convergence_bound_ms(cluster.config, max_epochs, max_leo, max_delay_ms)


def replica_states(cluster: Cluster) -> list[str]:
    """One line per replica: role, epoch, leader, fetcher, LEO, HW, ISR view, epoch cache."""
    lines = []
    for p in cluster.store.partitions:
        lines.append(
            f"{p.key}: controller says leader {p.leader} (epoch {p.leader_epoch}), "
            f"ISR {','.join(map(str, p.isr)) or 'empty'}"
        )
        for b in p.replicas:
            node = cluster.brokers.get(b)
            log = cluster.disks[b][p.index]
            cache = ", ".join(f"{e}@{s}" for e, s in log.epochs) or "empty"
            if node is None:
                lines.append(f"  broker {b}: down; LEO {log.leo}, epochs {cache}")
                continue
            r = node.replicas[p.index]
            role = _ROLE.get(r.role, "none")
            detail = (
                f"ISR {','.join(map(str, r.isr))}"
                if r.role == ROLE_LEADER
                else (f"leader {r.leader}, fetcher {_FETCHER[r.fetcher]}")
            )
            lines.append(
                f"  broker {b}: {role} in epoch {r.leader_epoch}, {detail}; "
                f"LEO {log.leo}, HW {r.hw}, epochs {cache}"
            )
    return lines


def request_signature(msg: Any) -> tuple[str, int, int] | None:
    """What makes a broker's request the same request again: (text, partition, fetch offset
    or -1); None for messages that are not watched."""
    if isinstance(msg, m.OffsetsForLeaderEpoch):
        return (
            f"OffsetsForLeaderEpoch(partition {msg.partition}, epoch {msg.leader_epoch}, "
            f"asking about epoch {msg.requested_epoch})",
            msg.partition,
            -1,
        )
    if isinstance(msg, m.Fetch):
        return (
            f"Fetch(partition {msg.partition}, epoch {msg.leader_epoch}, "
            f"offset {msg.fetch_offset})",
            msg.partition,
            msg.fetch_offset,
        )
    if isinstance(msg, m.AlterIsr):
        return (
            f"AlterIsr(partition {msg.partition}, epoch {msg.leader_epoch}, "
            f"ISR {','.join(map(str, msg.new_isr))})",
            msg.partition,
            -1,
        )
    return None


def repeated_requests(
    cluster: Cluster, sent: Counter[tuple[str, tuple[str, int, int]]], window_ms: int
) -> list[str]:
    """`b3 sent OffsetsForLeaderEpoch(...) ×12 in 300 ms` for every request seen often.

    A caught-up follower's long-poll fetch at the leader's log end repeats by design; it is
    left out."""
    leos = {}
    for p in cluster.store.partitions:
        lead = cluster.brokers.get(p.leader) if p.leader >= 0 else None
        leos[p.index] = lead.replicas[p.index].log.leo if lead is not None else -2
    out = []
    for (src, (text, partition, fetch_offset)), count in sorted(sent.items()):
        if count >= LOOP_REPEATS and fetch_offset != leos.get(partition):
            out.append(f"{src} sent {text} ×{count} in {window_ms} ms")
    return out


def not_converged(cluster: Cluster) -> list[str]:
    """Why the cluster is not converged (empty when it is)."""
    out = []
    if any(c.op is not None for c in cluster._clients.values()):
        out.append("a client operation is still outstanding")
    for p in cluster.store.partitions:
        if p.leader < 0:
            out.append(f"{p.key}: no leader")
            continue
        if p.isr != p.replicas:
            missing = [b for b in p.replicas if b not in p.isr]
            out.append(
                f"{p.key}: ISR {','.join(map(str, p.isr))} lacks {','.join(map(str, missing))}"
            )
        lead = cluster.brokers.get(p.leader)
        if lead is None:
            out.append(f"{p.key}: leader {p.leader} is down")
            continue
        leo = lead.replicas[p.index].log.leo
        for b in p.replicas:
            node = cluster.brokers.get(b)
            if node is None:
                out.append(f"{p.key}: broker {b} is down")
                continue
            r = node.replicas[p.index]
            if r.leader_epoch != p.leader_epoch:
                out.append(
                    f"{p.key}: broker {b} is in epoch {r.leader_epoch}, not {p.leader_epoch}"
                )
            elif r.log.leo != leo or r.hw != leo:
                out.append(
                    f"{p.key}: broker {b} has LEO {r.log.leo}, HW {r.hw}; the leader's LEO is {leo}"
                )
            elif r.role == ROLE_FOLLOWER and (r.need_truncation or r.fetcher == FETCHER_TRUNCATING):
                out.append(f"{p.key}: broker {b} is still truncating")
    return out
