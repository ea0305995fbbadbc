"""Replica invariants that must hold in every state of a correct cluster.

They read implementation state (unlike the history checkers) and are evaluated on demand,
or after every event a broker or the controller handles once the cluster watches them
(`Cluster.watch_invariants`, which the campaign uses; it skips an event that changed
nothing `check` reads, so whatever new state `check` comes to read must be in
`Cluster._watch_key` too).
Following the TLA+ kafka-specification (hachikuji/kafka-specification, KafkaReplication.tla
and AsyncIsr.tla), the ISR properties are checked for *every* replica that presumes
leadership -- the controller's current leader and any zombie that has not yet heard it was
deposed -- because zombie leaders are where fencing flaws show:

- one leader per (partition, leader epoch), ever;
- LeaderInIsr: the controller's leader is a member of the controller's ISR;
- StrongIsr / ValidHighWatermark: every record below a presumed leader's HW is present,
  identical, in every member of the controller's (true) ISR -- in particular the HW never
  passes such a member's LEO;
- WeakIsr: the same over the leader's *own* view of the ISR: its HW does not pass the LEO of
  any member, and members still at its epoch hold its records below the HW;
- the HW of a leader never goes down within one leader epoch;
- StrongIsr over time: every record ever seen below a presumed leader's HW (committed) is
  present, identical, in every member of the controller's ISR -- an ISR member admitted
  without a committed record (KAFKA-7128) breaks it before any election exposes the loss.

Why they hold for a correct Kafka (docs/impl.md has the full argument): a leader's HW
passes a record only once every member of its maximal ISR has it, the controller's ISR is
always a subset of that set (it only removes members on its own; additions are proposed
by the leader, which counts them while pending); a clean election picks a controller-ISR
member, which therefore has every record below any presumed leader's HW, identical (it
fetched them from that leader), and leaders never truncate; followers truncate only a
suffix the new leader does not share, never a record the new leader has; and with an fsync
per append no crash or power loss takes a record from a disk.

A replaced disk (with broker epochs) is the one exception the protocol itself defines: the
broker's ISR membership belongs to its registration, and until the controller has
processed the registration of the incarnation running on the new disk, the ISR still
names the old one -- which can never act again (KIP-380) and is removed on registration
(KIP-841). Such a member is skipped; after its registration it is checked like any other,
which is where a controller that keeps it (rebooted-broker-stays-in-isr) shows. A power
loss that drops an unflushed suffix (`flush="interval"`) is the same case: Kafka promises
only that the restarted broker leaves the ISR when it registers again, and a pre-ELR
controller that keeps it as the last member (last-replica-standing) shows after that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicheck.impl.replica import ROLE_LEADER

if TYPE_CHECKING:
    from replicheck.impl.cluster import Cluster
    from replicheck.impl.controller import PartitionState
    from replicheck.impl.messages import Entry
    from replicheck.impl.replica import Replica


def check(cluster: Cluster) -> list[str]:
    out = list(cluster._leader_violations)
    for p in cluster.store.partitions:
        if p.leader >= 0 and p.leader not in p.isr:
            out.append(
                f"{p.key}: leader {p.leader} (epoch {p.leader_epoch}) is not in the "
                f"ISR {','.join(map(str, p.isr))}"
            )
        leaders = []
        for b in p.replicas:
            node = cluster.brokers.get(b)
            if node is None:
                continue
            r = node.replicas[p.index]
            if r.role == ROLE_LEADER:
                leaders.append((b, r))
                out.extend(_presumed_leader(cluster, p, b, r))
        out.extend(_committed_in_isr(cluster, p, leaders))
    return out


def _committed_in_isr(
    cluster: Cluster, p: PartitionState, leaders: list[tuple[int, Replica]]
) -> list[str]:
    """StrongIsr over time: every record that was ever below a presumed leader's HW (seen at
    a check) is present, identical, in every member of the controller's ISR."""
    out = []
    committed = cluster._committed.setdefault(p.key, [])
    for b, r in leaders:
        if r.hw <= len(committed):
            continue
        entries = r.log.entries
        if entries[: len(committed)] != committed:
            at = next(o for o in range(len(committed)) if entries[o] != committed[o])
            out.append(
                f"{p.key}: offset {at} was committed as {committed[at][1]!r} (epoch "
                f"{committed[at][0]}) but {_who(p, b, r)} commits {entries[at][1]!r} "
                f"(epoch {entries[at][0]}) there"
            )
            continue
        committed.extend(entries[len(committed) : r.hw])
    n = len(committed)
    for b in p.isr:
        entries = cluster.disks[b][p.index].entries
        if entries[:n] == committed or swapped_disk(cluster, b):
            continue
        at = next(
            (o for o in range(min(n, len(entries))) if entries[o] != committed[o]),
            min(n, len(entries)),
        )
        has = f"{entries[at][1]!r} (epoch {entries[at][0]})" if at < len(entries) else "nothing"
        out.append(
            f"{p.key}: committed record {committed[at][1]!r} (epoch {committed[at][0]}) "
            f"at offset {at} is not on ISR member {b}, which has {has}"
        )
    return out


def swapped_disk(cluster: Cluster, broker: int) -> bool:
    """With broker epochs: `broker`'s disk was replaced, or lost its unflushed suffix in a
    power loss, after its current registration (the registration takes it out of the ISR)."""
    if not cluster.config.broker_epochs:
        return False
    registered = cluster.store.broker_epochs.get(broker, -1)
    swapped_at = cluster.disk_swaps.get(broker)
    if swapped_at is not None and registered <= swapped_at:
        return True
    for log in cluster.disks[broker].values():
        if log.lost_suffix or registered < log.damaged_incarnation:
            return True
    return False


def _damaged(cluster: Cluster, broker: int) -> bool:
    """The incarnation of `broker` running now (or next) started on a disk that was replaced
    or lost records in a power loss. A leader that has not heard of that (it is cut off from
    the controller, which already dropped the broker from the ISR) still counts the old
    log end in its own ISR view: WeakIsr is about what the leader saw, not the lost disk."""
    node = cluster.brokers.get(broker)
    swapped_at = cluster.disk_swaps.get(broker)
    if node is None:
        return swapped_at is not None or any(
            log.lost_suffix or log.damaged_incarnation >= 0
            for log in cluster.disks[broker].values()
        )
    if swapped_at is not None and node.incarnation == swapped_at + 1:
        return True
    return any(
        log.damaged_incarnation == node.incarnation for log in cluster.disks[broker].values()
    )


def _who(p: PartitionState, broker: int, r: Replica) -> str:
    true = broker == p.leader and r.leader_epoch == p.leader_epoch
    return f"{'leader' if true else 'zombie leader'} {broker} (epoch {r.leader_epoch})"


def _presumed_leader(cluster: Cluster, p: PartitionState, broker: int, r: Replica) -> list[str]:
    out: list[str] = []
    hw = r.hw
    entries = r.log.entries
    who = _who(p, broker, r)
    # StrongIsr / ValidHighWatermark over the controller's ISR.
    for b in p.isr:
        if b != broker and not swapped_disk(cluster, b):
            problem = _compare(cluster, p, entries, hw, b, f"ISR member {b}", who, True)
            if problem:
                out.append(f"{p.key}: {problem}")
    # WeakIsr over the leader's own ISR view (members the controller dropped).
    for b in r.isr:
        if b == broker or b in p.isr or swapped_disk(cluster, b) or _damaged(cluster, b):
            continue
        node = cluster.brokers.get(b)
        same_epoch = node is not None and node.replicas[p.index].leader_epoch == r.leader_epoch
        problem = _compare(
            cluster, p, entries, hw, b, f"member {b} of its own ISR", who, same_epoch
        )
        if problem:
            out.append(f"{p.key}: {problem}")
    key = (p.key, broker, r.leader_epoch)
    seen = cluster._hw_seen
    previous = seen.get(key)
    if previous is not None and hw < previous:
        out.append(f"{p.key}: HW of {who} went down from {previous} to {hw}")
    if previous is None or hw > previous:
        seen[key] = hw
    return out


def _compare(
    cluster: Cluster,
    p: PartitionState,
    entries: list[Entry],
    hw: int,
    member: int,
    member_text: str,
    who: str,
    check_records: bool,
) -> str | None:
    """What is wrong with `member`'s log below `hw` of the presumed leader `who`, or None."""
    log = cluster.disks[member][p.index]
    if log.leo < hw:
        return f"HW {hw} of {who} passes LEO {log.leo} of {member_text}"
    if not check_records or log.entries[:hw] == entries[:hw]:
        return None
    at = next(o for o in range(hw) if log.entries[o] != entries[o])
    return (
        f"records below the HW {hw} of {who} diverge at offset {at}: the leader has "
        f"{entries[at][1]!r} (epoch {entries[at][0]}), {member_text} has "
        f"{log.entries[at][1]!r} (epoch {log.entries[at][0]})"
    )
