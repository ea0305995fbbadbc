"""Campaign actions around slow links: a reboot behind a stalled request.

Two incidents:
- `restart-behind-slow-link`: a request a broker sent before a reboot reaches its peer
  after the new incarnation's first requests (KAFKA-15221's race);
- `failover-behind-slow-controller`: the controller's channel to some brokers is slow (a
  ZooKeeper-era controller queues LeaderAndIsr per broker, in order, on one connection)
  while leadership moves twice in quick succession, so those brokers learn each epoch
  late -- one of them leads an epoch that is already over (a zombie) while the others
  follow it (the stale leadership Kip320FirstTry.tla's counterexample needs).

A slow link (step `slow-link`) adds a fixed delay to one direction of one link while it
lasts: a congested path, a stalled connection, a request stuck in a queue. Messages sent
over it before it clears arrive after messages sent since -- in particular, a request a
broker sent before a reboot can reach its peer after the new incarnation's first requests,
the race KAFKA-15221 is about. Each action here clears the slow link before it returns, so
the rest of the machine's reasoning (which assumes the configured delays once an action is
over) still holds; the actions know nothing of the flaw a configuration has.

The machine calls these from one-line `_do_*` methods (see `stateful.machine`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import strategies as st

from replicheck.stateful.draws import draw, sampled
from replicheck.stateful.steps import Step

if TYPE_CHECKING:
    from replicheck.stateful.machine import CampaignMachine

#: menu lines: (action, the step kinds it injects, base weight)
ACTIONS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("restart-behind-slow-link", ("slow-link", "crash"), 1),
    ("failover-behind-slow-controller", ("slow-link", "crash", "elect-preferred"), 1),
)


def _slow_ms(machine: CampaignMachine, data: st.DataObject) -> int:
    """An extra delay long enough to outlast a reboot's registration, LeaderAndIsr and
    first fetch (a few message delays) and short of a session timeout, so the broker is
    not declared dead for it: two to four fetch intervals."""
    fetch_ms = max(1, int(machine.plan.config.fetch_interval_ms))
    factor = draw(data, sampled([2, 3, 4]), label="slow link fetch intervals")
    return factor * fetch_ms


def restart_behind_slow_link(machine: CampaignMachine, data: st.DataObject) -> None:
    """A follower's link to its leader slows down while it fetches, and usually the way
    back too (a congested path); the follower reboots (with broker epochs usually with a
    new disk, as an operator swapping a failed drive does) and its way to the leader recovers
    first. The fetches the old process sent into the slow link still reach the leader --
    after the new incarnation's first fetch -- and the action ends when they have landed
    (the way back recovers then; what it still carries arrives on its own time)."""
    leader, part = machine._leader_and_partition(data)
    live = machine._live()
    followers = [b for b in machine.plan.config.replicas_of(part) if b != leader and b in live]
    if leader not in live or not followers:
        return machine._do_tick_short(data)
    # A race only an incarnation that lost state can lose: usually the follower reboots
    # with a new disk where an operator may swap one (the old fetch then vouches for
    # records the new process lacks; with its disk kept, it has them).
    swappable = [b for b in followers if b in machine._disk_replaceable()]
    new_disk = bool(swappable) and machine._mostly(data, "new disk")
    pool = swappable if new_disk else followers
    follower = draw(data, sampled(pool), label="follower")
    fetch_ms = max(1, int(machine.plan.config.fetch_interval_ms))
    delay_ms = max(1, machine.delay_hi_ms)
    there, back = (f"b{follower}", f"b{leader}"), (f"b{leader}", f"b{follower}")
    extra_ms = _slow_ms(machine, data)
    _slow(machine, there, extra_ms)
    # Long enough for a parked fetch to be answered and the next one to enter the link.
    machine._apply(Step("tick", {"ms": fetch_ms + 2 * delay_ms}))
    both_ways = machine._mostly(data, "both ways")
    if both_ways:
        _slow(machine, back, extra_ms + fetch_ms)
    rebooted_ms = machine.ex.cluster.now_ms
    if new_disk and follower in machine._disk_replaceable():  # still safe to swap now
        machine.powered.add(follower)
        machine.swapped = follower
        machine._apply(Step("replace-disk", {"broker": follower}), fault=True)
    else:
        machine._apply(Step("crash", {"broker": follower}), fault=True)
    machine._apply(Step("restart", {"broker": follower}), fault=True)
    _slow(machine, there, 0)
    landed_ms = rebooted_ms + extra_ms + 3 * delay_ms - machine.ex.cluster.now_ms
    if landed_ms > 0:
        machine._apply(Step("tick", {"ms": landed_ms}))
    if both_ways:
        _slow(machine, back, 0)
    return None


def _slow(machine: CampaignMachine, link: tuple[str, str], extra_ms: int) -> None:
    src, dst = link
    machine._apply(Step("slow-link", {"src": src, "dst": dst, "extra_ms": extra_ms}), fault=True)


def failover_behind_slow_controller(machine: CampaignMachine, data: st.DataObject) -> None:
    """The controller's links to some followers slow down (longer than an ISR shrink); a
    follower may lose the leader too; the leader's process restarts at once (leadership
    moves to another ISR member, which the slow followers hear of late) and after a few
    fetch intervals a preferred election moves it back; writes go on meanwhile. Time
    passes until a replica truncates or the slow links have delivered, then they recover."""
    leader, part = machine._leader_and_partition(data)
    live = machine._live()
    others = [b for b in machine.plan.config.replicas_of(part) if b != leader and b in live]
    if leader not in live or not others:
        return machine._do_tick_short(data)
    config = machine.plan.config
    fetch_ms = max(1, int(config.fetch_interval_ms))
    slowed = sorted(draw(data, st.sets(sampled(others), min_size=1), label="slowed"))
    factor = draw(data, sampled([3, 5, 8]), label="slow controller fetch intervals")
    extra_ms = int(config.replica_lag_time_max_ms) + factor * fetch_ms
    for broker in slowed:
        _slow(machine, ("controller", f"b{broker}"), extra_ms)
    if machine._mostly(data, "a slowed follower loses the leader"):
        cut = draw(data, sampled(slowed), label="cut follower")
        note = f"cuts the link between leader {leader} and {cut}"
        machine._partition([[f"b{leader}"], [f"b{cut}"]], note)
    started_ms = machine.ex.cluster.now_ms
    machine._apply(Step("crash", {"broker": leader}), fault=True)
    machine._apply(Step("restart", {"broker": leader}), fault=True)
    gap_ms = fetch_ms * draw(data, sampled([1, 2, 3]), label="epochs apart")
    machine._apply(Step("tick", {"ms": gap_ms}))
    machine._apply(Step("elect-preferred", {}), fault=True)
    machine._apply(Step("tick", {"ms": machine.plan.short_ticks[0]}))
    # writes to the partition whose leadership moved, from clients that know its leader
    machine._send_until_done(data, partition=part)
    events_from = len(machine.ex.cluster.events)
    left_ms = started_ms + extra_ms + 5 * fetch_ms - machine.ex.cluster.now_ms
    if left_ms > 0:
        machine._tick_until(
            lambda c: any(e["kind"] == "truncate" for e in c.events[events_from:]), left_ms
        )
    for broker in slowed:
        _slow(machine, ("controller", f"b{broker}"), 0)
    return None
