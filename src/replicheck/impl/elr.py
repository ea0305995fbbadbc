"""Eligible Leader Replicas and unclean recovery at the controller (KIP-966, `elr=True`).

KIP-966 closes the "last replica standing" hole: before it, the ISR never emptied, so the
last ISR member was re-elected after a restart even when it had lost its unflushed suffix,
and the followers then truncated the last copies of committed records. The rules, as
Kafka's controller applies them (PartitionChangeBuilder, ReplicationControlManager):

- the leader advances the HW only while its ISR has at least min.insync.replicas members
  (leader.py), so a replica that leaves the ISR below that size holds every record below
  the HW for as long as the ISR stays small;
- such replicas form the ELR. On every ISR change: if the new ISR has min.insync.replicas
  members, ELR and last-known ELR are cleared (the HW may advance without them again);
  otherwise ELR = (ELR | current ISR) - new ISR - replicas that had an unclean shutdown,
  and the last-known ELR keeps the others that were ever ISR or ELR members since
  (`maybePopulateTargetElr`);
- the ISR may empty: a fenced (dead) broker leaves it even as its last member;
- a broker that registers again after an unclean shutdown leaves ISR and ELR (it may have
  lost its unflushed suffix). The model has no controlled shutdown, so every restart is
  unclean, as a kill -9 or a power loss is for Kafka;
- election: a live ISR member; with the ISR empty, a live ELR member (which becomes the ISR);
  with both empty, unclean recovery -- `unclean_leader_election` elects any live replica at
  once (the Aggressive strategy), otherwise `unclean_recovery` decides:
  "balanced" (KIP-966's Balanced strategy): wait until every last-known ELR member is live,
  ask each for its log (GetReplicaLogInfo: the latest epoch and LEO, asked at recovery time,
  `log_info_round.py`) and elect the one with the largest (latest epoch, LEO); "last-known-leader" (what Kafka
  4.0 ships, useLastKnownLeaderInBalancedRecovery): the leader the partition had when its
  ISR emptied, once it is live. Either recovery election resets ISR to the new leader and
  clears ELR and last-known ELR.

Why "balanced" loses nothing while fewer than min.insync.replicas brokers lose unflushed
data: a committed record is on every member of the ISR it was committed with (at least
min.insync.replicas brokers); each of them stays in ISR, ELR or last-known ELR until the ISR
is large enough again (and then the new members hold the record); at most
min.insync.replicas - 1 of them lost it, a broker that lost nothing has the whole committed
prefix, and every log is a prefix-consistent copy of the leaders it followed, so the largest
(latest epoch, LEO) among them is a log that holds the record. The promise ends there: a
recovery election leaves the new leader alone in the ISR with ELR and last-known ELR
cleared, so from then on Kafka tracks no other copy, and the new leader's own power loss
loses the record even if no other broker lost anything (KIP-1275: unclean recovery "has the
potential to lead to data loss"), so the campaign allows no power loss after an unclean
recovery. The same holds from the start of the GetReplicaLogInfo round: an answer is a
snapshot, and a member that loses power after answering is elected on it all the same
(`log_info_round.py`), so the campaign allows no power loss once a round has started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from replicheck.impl import log_info_round

if TYPE_CHECKING:
    from replicheck.impl.controller import Controller, PartitionState

#: events after which an example no longer promises to survive a power loss (see above)
RECOVERY_EVENTS = frozenset({"log-info-round", "unclean-recovery"})


def _ordered(p: PartitionState, members: Iterable[int]) -> tuple[int, ...]:
    chosen = set(members)
    return tuple(r for r in p.replicas if r in chosen)


def set_isr(
    controller: Controller,
    p: PartitionState,
    new_isr: Iterable[int],
    unclean: frozenset[int] = frozenset(),
) -> None:
    """Install `new_isr`, maintaining ELR and last-known ELR (`maybePopulateTargetElr`)."""
    target = _ordered(p, new_isr)
    if len(target) >= controller.config.min_insync_replicas:
        p.elr = ()
        p.last_known_elr = ()
    else:
        candidates = set(p.elr) | set(p.isr)
        elr = candidates - set(target) - unclean
        p.last_known_elr = _ordered(p, (candidates | set(p.last_known_elr)) - set(target) - elr)
        p.elr = _ordered(p, elr)
    if not target and p.isr and p.leader >= 0:
        p.last_known_leader = p.leader  # the first time the partition becomes leaderless
    p.isr = target


def remove(controller: Controller, p: PartitionState, broker: int, unclean: bool) -> None:
    """`broker` was fenced (session expired) or registered after an unclean shutdown."""
    if broker not in p.isr and not (unclean and broker in p.elr):
        return  # a leaderless partition is elected again when the broker is back
    set_isr(
        controller,
        p,
        (r for r in p.isr if r != broker),
        frozenset({broker}) if unclean else frozenset(),
    )
    if p.leader == broker:
        controller.elect_without(p, broker)
    else:
        controller.commit(p)


def candidate(controller: Controller, p: PartitionState, exclude: int | None) -> int:
    """The leader KIP-966's election picks (adjusting ISR/ELR for it), or -1."""
    alive = controller.alive

    def ok(r: int) -> bool:
        return r != exclude and r in alive

    for r in p.isr:
        if ok(r):
            return r
    if p.isr:
        return -1
    for r in p.elr:
        if ok(r):
            p.isr = (r,)
            p.elr = tuple(x for x in p.elr if x != r)
            return r
    if p.elr:
        return -1
    chosen = _recovery(controller, p, ok)
    if chosen >= 0:
        p.isr = (chosen,)
        p.elr = ()
        p.last_known_elr = ()
        p.last_known_leader = -1
        log_info_round.finish(controller, p)
        controller.emit(
            "unclean-recovery", partition=p.key, leader=chosen, strategy=_strategy(controller)
        )
    return chosen


def _strategy(controller: Controller) -> str:
    config = controller.config
    return "aggressive" if config.unclean_leader_election else config.unclean_recovery


def _recovery(controller: Controller, p: PartitionState, ok: Callable[[int], bool]) -> int:
    strategy = _strategy(controller)
    if strategy == "aggressive":
        return next((r for r in p.replicas if ok(r)), -1)
    if strategy == "last-known-leader":
        last = p.last_known_leader
        return last if last >= 0 and ok(last) else -1
    members = p.last_known_elr or p.replicas
    if not all(ok(r) for r in members):
        return -1  # Balanced: wait for every last-known ELR member
    infos = log_info_round.answers(controller, p, members)
    if not infos:
        return -1  # asked; the election happens when the last member answers
    return max((info, -i, r) for i, (r, info) in enumerate(zip(members, infos, strict=True)))[2]
