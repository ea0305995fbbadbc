"""The Hypothesis state machine that hammers one simulated cluster.

`make_machine(config, sink)` returns a `RuleBasedStateMachine` subclass bound to one
`ClusterConfig`. Its rules only *choose* `Step`s -- reading the cluster's public state to
aim faults at the current leader, a follower, an idle client -- and hand them to the scenario
`Executor`, the same one `run_scenario` uses, so the recorded step list is a complete,
Hypothesis-free reproduction.

Search shaping, because flaws must be reachable in a handful of steps:
- swarm testing: each example enables a random subset of fault families (drawn in the
  `@initialize` rule): some examples are "power loss only", others "partitions and
  preferred elections", and so on;
- one weighted menu instead of uniformly chosen rules: writes are frequent, and right after
  a write was left in flight the menu leans towards reading it early and failing its
  leader; while a broker is down, towards restarting it;
- faults are aimed by role: the leader of a partition, a follower, the link between them,
  a broker's link to the controller (partial partitions: unlisted nodes still reach
  everyone, exactly the shapes that make a follower drop out of the ISR while the
  controller still sees it);
- sends wait for their acknowledgement (see `scenario`), so the next fault lands inside the
  replication window of the write;
- writes under load: a link cut may come with a write that it leaves in flight, copied by
  the replicas that can still fetch and by no other -- the uncommitted, uneven state that a
  later failover, cascade or rolling restart (momentum leans towards them) must resolve;
- choices that are usually aimed: the leader's successor for a cut, a replica holding
  records that others lack for a controller-link loss, a client that knows the new leader
  for a procedure's write (one still aiming at a dead leader waits a request timeout);
- while the follower a failover would elect lacks records another follower holds, the
  cascade and the rolling restart weigh more: the elections they make decide whose
  records survive; the cut that makes that state (the leader from its successor) weighs
  more where a failover can follow it, less where it cannot;
- tick sizes come from the configuration: half a fetch interval (a write reached the leader
  but no follower yet), one fetch interval, the session timeout (a dead broker's session
  expires, the controller elects) and the replica lag limit (a lagging follower leaves the
  ISR), each plus a fetch interval.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.elr import RECOVERY_EVENTS
from replicheck.stateful import actions_fence, moments
from replicheck.stateful.draws import draw, sampled
from replicheck.stateful.result import RunResult
from replicheck.stateful.scenario import Executor, campaign_wait_ms
from replicheck.stateful.steps import (
    CLIENT_COUNT,
    FINAL_READ_PROCESS,
    VOCABULARY,
    Step,
    Vocabulary,
)

# Fault families that the swarm switches on and off per example, from the step table (each
# fault kind names its family): crash, power, partition, network, controller, preferred.
# Sends, polls and time passing are always enabled: they are what makes a fault matter;
# so are restarts and heals, which undo a fault.
FAULT_FAMILIES = VOCABULARY.families


@dataclass
class Sink:
    """Where a machine reports to the runner (same process): counters and failing runs.

    Hypothesis replays the failing example last, so `failures[-1]` is the one it reports.
    """

    on_example: Callable[[RunResult], None] | None = None
    failures: list[RunResult] = field(default_factory=list)
    last_steps: list[Step] = field(default_factory=list)
    examples: int = 0  # examples run up to and including the first failing one
    shrink_runs: int = 0  # runs after that (Hypothesis's shrinker or final replay)
    steps: int = 0
    faults: int = 0


def tick_sizes_ms(config: ClusterConfig) -> list[int]:
    """Tick sizes that matter for this configuration, smallest first."""
    fetch_ms = max(1, int(config.fetch_interval_ms))
    sizes = {
        max(1, fetch_ms // 2),
        fetch_ms,
        int(config.session_timeout_ms) + fetch_ms,
        int(config.replica_lag_time_max_ms) + fetch_ms,
    }
    return sorted(sizes)


# How many client processes share one producer instance, drawn per example: usually one
# each (the original model), one example in four all three campaign processes share one
# (an application's threads sharing a KafkaProducer: several batches in flight per
# connection, max.in.flight.requests.per.connection). Three, because processes share by
# `process - process % threads`: the final read (process 3) then still gets a producer
# of its own, the fresh client the final read promises.
SHARED_PRODUCER_THREADS = (1, 1, 1, CLIENT_COUNT)


def shared_producer(config: ClusterConfig, threads: int) -> ClusterConfig:
    """`config` with `threads` processes per producer instance, unless it sets its own."""
    assert FINAL_READ_PROCESS % threads == 0, "the final read needs a producer of its own"
    if threads == 1 or config.producer_threads != 1:
        return config
    return replace(config, producer_threads=threads)


@dataclass(frozen=True)
class PartitionState:
    leader: int | None
    isr: tuple[int, ...]


def partition_states(executor: Executor) -> dict[int, PartitionState]:
    """Leader and ISR per partition number, as the controller committed them."""
    cluster = executor.cluster
    result: dict[int, PartitionState] = {}
    for p in cluster.store.partitions:  # the store directly: this runs several times a step
        result[p.index] = PartitionState(p.leader if p.leader >= 0 else None, tuple(p.isr))
    return result


# The menu: (action, the step kinds it injects as faults, base weight). An action is on in
# an example when the swarm enabled the family of any of its kinds (no kinds: always on).
# Order matters only for Hypothesis's shrinker, which prefers earlier entries; the runner
# minimizes step lists itself.
_ACTIONS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("send", (), 5),
    ("send-inflight", (), 2),
    ("poll", (), 2),
    ("tick-short", (), 2),
    ("tick-long", (), 3),
    ("crash-leader", ("crash",), 3),
    ("crash-other", ("crash",), 1),
    ("crash-two", ("crash",), 1),
    ("power-leader", ("power-loss",), 3),
    ("power-other", ("power-loss",), 1),
    ("replace-disk", ("replace-disk",), 2),  # only with broker epochs (see _menu)
    ("restart", (), 0),  # weighted by how many brokers are down
    ("cut-leader-follower", ("partition",), 2),
    ("cut-leader-replicas", ("partition",), 1),
    ("cut-link", ("partition",), 1),
    ("cut-broker-controller", ("partition",), 1),
    ("isolate-broker", ("partition",), 1),
    ("split", ("partition",), 1),
    ("heal", (), 0),  # weighted when partitioned
    ("message-faults", ("message-faults",), 1),
    ("controller-failover", ("controller-failover",), 1),
    ("elect-preferred", ("elect-preferred",), 1),
    ("bounce-leader", ("elect-preferred", "crash"), 2),
    ("cascade", ("crash", "partition"), 2),
    ("quick-restart-leader", ("crash",), 2),
    ("isr-race", ("crash", "partition"), 0),  # weighted by whether an ISR lacks a replica
)


def _families_of(kinds: tuple[str, ...]) -> frozenset[str] | None:
    """The swarm families that enable an action (None: always on)."""
    families = {VOCABULARY[kind].family for kind in kinds}
    assert None not in families, f"{kinds}: only fault kinds with a family enable an action"
    return frozenset(f for f in families if f is not None) or None


def _plain_actions(
    actions: tuple[tuple[str, tuple[str, ...], int], ...], vocabulary: Vocabulary = VOCABULARY
) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    """Step kinds with a `campaign_weight` that no action above names: each joins the menu
    as itself (applied with no arguments), after the aimed actions, so that a new fault is
    one table entry. None of today's kinds needs it (they are all aimed above)."""
    named = {action for action, _, _ in actions} | {k for _, kinds, _ in actions for k in kinds}
    return tuple(
        (name, (name,), kind.campaign_weight)
        for name, kind in vocabulary.items()
        if kind.campaign_weight and name not in named
    )


_MENU: tuple[tuple[str, frozenset[str] | None, int], ...] = tuple(
    (action, _families_of(kinds), weight)
    for action, kinds, weight in _ACTIONS + actions_fence.ACTIONS + _plain_actions(_ACTIONS)
)


_CUTS = ("cut-leader-follower", "cut-leader-replicas", "cut-link", "cut-broker-controller")

# Momentum: what tends to follow what in a real incident. After the previous action, these
# actions get their weight multiplied -- faults cluster around writes, failures cascade,
# a network change during a failover, a preferred election after a broker returns.
_FOLLOW_UPS: dict[str, dict[str, int]] = (
    {
        "send": {"crash-leader": 2, "power-leader": 2, "crash-other": 2, "power-other": 2}
        | dict.fromkeys(_CUTS, 2),
        "send-inflight": {"poll": 3, "crash-leader": 3, "power-leader": 3, "tick-short": 2}
        | dict.fromkeys(_CUTS, 2),
        "crash-leader": {"tick-long": 3, "send-inflight": 2} | dict.fromkeys(_CUTS, 2),
        "power-leader": {"tick-long": 3, "send-inflight": 2, "power-other": 2},
        "tick-long": {"send": 2, "send-inflight": 2, "crash-leader": 2, "restart": 2}
        | {"elect-preferred": 2},
        "restart": {"tick-short": 2, "tick-long": 2, "elect-preferred": 3},
        "elect-preferred": {"crash-leader": 2, "send": 2, "tick-short": 2},
    }
    | {
        # A network incident tends to spread (another link, a controller link) and to meet
        # failovers and maintenance: a cascade or a rolling restart right after a cut.
        cut: {"send-inflight": 3, "send": 2, "tick-long": 2, "cascade": 3, "bounce-leader": 4}
        | {"cut-broker-controller": 2}
        for cut in _CUTS
    }
    | {
        # A write left in flight across a cut: the moment a failover or a rolling restart (or
        # the incident spreading to a controller link) decides what survives.
        "cut-under-load": {"poll": 4, "crash-leader": 3, "power-leader": 2, "cascade": 6}
        | {"bounce-leader": 8, "cut-broker-controller": 3},
    }
)


# A leader's process that restarts within its session: leadership moves (no epoch spans two
# incarnations) while the old leader stays in the ISR, and moves back at the next preferred
# election -- a new epoch with the same leader for anyone who missed the one in between.
_FOLLOW_UPS["quick-restart-leader"] = {"elect-preferred": 4, "send": 2, "isr-race": 2}
for _cut in ("cut-broker-controller", "cut-under-load"):
    _FOLLOW_UPS[_cut] = _FOLLOW_UPS[_cut] | {"quick-restart-leader": 3}

# After a rolling restart during a controller-link loss the incident ends (the link heals:
# the follower learns every epoch it missed at once) or goes on (another leader failure).
_FOLLOW_UPS["bounce-leader"] = {"heal": 10, "crash-leader": 2, "crash-other": 2, "cascade": 3}
_FOLLOW_UPS["bounce-leader"] |= {"crash-two": 6}
# A cascade ends with a leader's death: as after `crash-leader`, time passes for the
# election (a restart first would only make the dead leader lead again).
_FOLLOW_UPS["cascade"] = {"tick-long": 3}
_FOLLOW_UPS["isr-race"] = {"crash-leader": 4, "crash-other": 3, "send": 3, "send-inflight": 2}
_FOLLOW_UPS["heal"] = {"isr-race": 3}
_FOLLOW_UPS["restart"] = _FOLLOW_UPS["restart"] | {"isr-race": 3}


# While the controller has no leader for a partition, restarts and heals weigh this much
# more and the procedures that act on "the leader" are off: an example that stays
# leaderless spends its remaining steps on failed requests (measured before: about a third
# of all sends and polls failed with LEADER_NOT_AVAILABLE).
_RECOVERY_BOOST = 4
_NEEDS_LEADER = frozenset({"bounce-leader", "cascade", "quick-restart-leader", "isr-race"})


# While replica logs differ in length (uncommitted records on some replicas only).
_UNEVEN_BOOST: dict[str, int] = {
    "crash-leader": 3,
    "power-leader": 3,
    "poll": 3,
    "send-inflight": 2,
    "cascade": 4,
    "bounce-leader": 3,
} | dict.fromkeys(_CUTS, 2)


# While the ISR itself is split: a record is on the leader and some ISR members but not on
# others. Whichever member the next leadership change favours decides its fate, so the
# procedures that change leadership with part of the cluster looking away (a rolling
# restart while a follower has lost its controller link) weigh more.
_SPLIT_BOOST: dict[str, int] = {"bounce-leader": 3}


# While the follower a failover would elect (the leader's successor) lacks records that
# another live follower holds: the next two elections decide whose records survive, and
# the cascade (two leaders failing in quick succession, a link cut between the survivors)
# is the incident that elects them in that order -- the successor leading an epoch the
# other follower never sees, then the other follower leading on top of records the
# successor wrote meanwhile. Only the epoch bookkeeping of the truncation protocol keeps
# the two apart. The rolling restart is the other incident that resolves the state (the
# successor leads one epoch, the old leader returns and leads again): both weigh more,
# taking the state's draws from moves that only pass time or end it (round search6).
_BEHIND_BOOST: dict[str, int] = {"cascade": 4, "bounce-leader": 3}


class CampaignMachine(RuleBasedStateMachine):
    """The campaign's rules for the configuration in `plan` (`make_machine` binds one)."""

    plan: ClassVar[MachinePlan]

    def __init__(self) -> None:
        super().__init__()
        self.executor: Executor | None = None
        self.families: frozenset[str] = frozenset()
        self.next_message = 1
        self.positions: dict[tuple[int, int], int] = {}
        self.partitioned = False
        self.failed_invariant = False
        self.previous_action = ""
        self.powered: set[int] = set()  # brokers that lost power or their disk
        self._events_scanned = 0  # how far _recovered_uncleanly has read the cluster's events
        self._unclean_recovery = False
        self.joining: int | None = None  # a member whose ISR addition is held up
        self.swapped: int | None = None  # the broker whose disk was swapped last
        self.loss = 0.0  # message faults in force (the machine applied them)
        self.delay_hi_ms = int(self.plan.config.network_delay_ms)

    # -- plumbing --------------------------------------------------------------------
    @property
    def ex(self) -> Executor:
        assert self.executor is not None
        return self.executor

    def _apply(self, step: Step, *, fault: bool = False) -> None:
        self.ex.apply(step)
        self.plan.sink.last_steps = self.ex.steps
        self.plan.sink.steps += 1
        if fault:
            self.plan.sink.faults += 1

    def _live(self) -> list[int]:
        return [b for b in self.plan.brokers if self.ex.cluster.is_live(b)]

    def _idle_clients(self) -> list[int]:
        return [c for c in self.plan.clients if self.ex.cluster.is_idle(c)]

    def _menu(self) -> list[str]:
        """Actions possible now, each repeated by its weight in this state."""
        idle = self._idle_clients()
        live = self._live()
        down = len(self.plan.brokers) - len(live)
        inflight = len(idle) < len(self.plan.clients)
        menu: list[str] = []
        follow_ups = _FOLLOW_UPS.get(self.previous_action, {})
        uneven = self._replicas_uneven()
        split = uneven and self._isr_split()
        behind = uneven and self._successor_behind()
        leaderless = self._leaderless()
        can_fail_over = self._can_fail_over()
        for action, family, weight in _MENU:
            if family is not None and not self.families.intersection(family):
                continue
            if action in ("send", "send-inflight", "poll") and not idle:
                continue
            if action in ("crash-leader", "crash-other", "power-leader", "power-other"):
                if not live:
                    continue
                if inflight and action.endswith("leader"):
                    weight *= 2  # fail the leader while a write is in flight
            if action == "poll" and inflight:
                weight *= 2  # read what the in-flight write may have exposed
            if action == "replace-disk" and not self._disk_replaceable():
                continue
            if action.startswith("power-") and not self._power_targets(action):
                continue
            if action == "restart":
                weight = 2 * down * (_RECOVERY_BOOST if leaderless else 1)
            if action == "heal":
                weight = 2 if self.partitioned else 0
                weight *= _RECOVERY_BOOST if leaderless else 1
            if leaderless and action in _NEEDS_LEADER:
                continue
            if action == "cut-leader-follower":
                # The cut's point is the successor left behind another follower, which a
                # failover then resolves: in a cluster with no live leader, successor and
                # third ISR member it cannot make that state (main drew a quarter of its
                # cuts with no broker alive).
                weight = weight * 2 if can_fail_over else weight // 2
            if action == "isr-race":
                weight = 5 if self._isr_short(reachable=False) else 2
            weight *= follow_ups.get(action, 1)
            if uneven:
                weight *= _UNEVEN_BOOST.get(action, 1)
            if split:
                weight *= _SPLIT_BOOST.get(action, 1)
            if behind:
                weight *= _BEHIND_BOOST.get(action, 1)
            menu.extend([action] * weight)
        assert menu, "send, poll or tick is always possible"
        return menu

    def _disk_replaceable(self) -> list[int]:
        """Brokers whose disk the campaign may replace: only with broker epochs (without
        them a rebooted empty broker stays in the ISR, and Kafka loses data the same
        way), and only a broker that is not the last live ISR member of a partition --
        pre-ELR Kafka cannot survive losing the disk of the last in-sync replica (that is
        KIP-966's motivating case), so an operator replaces one disk at a time, on a
        broker that is rebooted at once and re-registers (it reaches the controller).
        A swap the controller does not hear about before the other ISR members fail is
        the same last-replica case, which only ELR can survive."""
        if not self.plan.config.broker_epochs:
            return []
        live = self._live()
        cluster = self.ex.cluster
        states = partition_states(self.ex)
        # A restarted broker whose new registration the controller has not processed is
        # about to leave the ISR (KIP-841): it does not keep a partition alive.
        registered = [b for b in live if self._registered(b)]
        out = []
        for broker in live:
            alone = any(
                broker in s.isr and not any(r != broker and r in registered for r in s.isr)
                for s in states.values()
            )
            # The swap is a reboot the controller hears about: the broker reaches it and
            # no message is lost, so its new registration arrives within the step's tick
            # (which outlasts the message delays in force).
            reaches = cluster.connected(f"b{broker}", "controller") and self.loss == 0.0
            if not alone and reaches and self._may_lose_data(broker):
                out.append(broker)
        return out

    def _registered(self, broker: int) -> bool:
        """Has the controller processed the registration of `broker`'s running process?"""
        cluster = self.ex.cluster
        node = cluster.brokers.get(broker)
        return node is not None and cluster.store.broker_epochs.get(broker) == node.incarnation

    def _may_lose_data(self, broker: int) -> bool:
        """With page-cache durability (flush="interval") a cluster promises to survive
        min.insync.replicas - 1 brokers losing their unflushed suffix (KIP-966's
        guarantee), so power losses and disk swaps hit at most that many distinct brokers
        per example; with an fsync per append nothing is lost, and with no fsync at all (a
        flaw) nothing is promised. The promise ends at an unclean recovery (below)."""
        config = self.plan.config
        if config.flush != "interval":
            return True
        if self._recovered_uncleanly():
            return False
        if broker in self.powered:
            return True
        return len(self.powered) < config.min_insync_replicas - 1

    def _recovered_uncleanly(self) -> bool:
        """Has the controller started an unclean recovery (events `log-info-round`,
        `unclean-recovery`) in this example? The election leaves the new leader alone in
        the ISR with ELR and last-known ELR cleared (KIP-966), so the leader's unflushed
        suffix is then the only copy of the committed prefix Kafka tracks, and a power loss
        there may lose it; and from the start of the round a member's answer is a snapshot
        that a power loss makes stale (impl/log_info_round.py). Unclean recovery "has the
        potential to lead to data loss" (KIP-1275's words)."""
        if not self._unclean_recovery:
            events = self.ex.cluster.events
            fresh = events[self._events_scanned :]
            self._events_scanned = len(events)
            self._unclean_recovery = any(e["kind"] in RECOVERY_EVENTS for e in fresh)
        return self._unclean_recovery

    def _power_targets(self, action: str) -> list[int]:
        """Live brokers a power loss may hit (leader first); `power-leader` only the leader."""
        leaders = self._leader_first(self._live())
        allowed = [b for b in leaders if self._may_lose_data(b)]
        if action == "power-leader":
            return allowed[:1] if allowed and allowed[0] == leaders[0] else []
        return allowed

    def _isr_short(self, reachable: bool = True) -> bool:
        """Does some led partition's ISR lack a live replica (that can reach the leader,
        if `reachable`): an expansion to come?"""
        live = set(self._live())
        cluster = self.ex.cluster
        for part, state in partition_states(self.ex).items():
            leader = state.leader
            if leader is None or leader not in live:
                continue
            for b in self.plan.config.replicas_of(part):
                if (
                    b in live
                    and b not in state.isr
                    and (not reachable or cluster.connected(f"b{leader}", f"b{b}"))
                ):
                    return True
        return False

    def _leaderless(self) -> bool:
        """Has the controller no leader to give some partition (every write and read fails
        until a restart or a heal brings an eligible replica back)? Steps in that state
        only repeat the same failures. The window between a leader's death and the
        election (its session has not expired yet) is not leaderless: what happens in it
        is what a failover must get right."""
        return any(s.leader is None for s in partition_states(self.ex).values())

    def _can_fail_over(self) -> bool:
        """Has some partition a live leader whose successor and one more follower are live
        ISR members (a cut between the leader and its successor, under load, then leaves
        the successor behind the other follower)?"""
        cluster = self.ex.cluster
        return any(
            any(b not in (leader, successor) and cluster.is_live(b) for b in state.isr)
            for _, state, leader, successor in self._leaders_and_successors()
        )

    def _leaders_and_successors(self) -> Iterator[tuple[int, PartitionState, int, int]]:
        """Each partition with a live leader and a successor (see `_successor`), as
        (partition, state, leader, successor)."""
        cluster = self.ex.cluster
        for part, state in partition_states(self.ex).items():
            leader = state.leader
            if leader is None or not cluster.is_live(leader):
                continue
            successor = self._successor(part, leader)
            if successor is not None:
                yield part, state, leader, successor

    def _replicas_uneven(self) -> bool:
        """Do the replicas of some partition hold logs of different lengths right now?

        That is the window in which a failover decides whether uncommitted records
        survive, so the menu leans towards failing the leader and reading early.
        """
        cluster = self.ex.cluster
        for part in self.plan.partitions:
            lengths = set(moments.log_ends(cluster, part).values())
            if len(lengths) > 1:
                return True
        return False

    def _isr_split(self) -> bool:
        """Does some partition's live leader hold records that one ISR member has copied
        and another has not (an uncommitted record on part of the ISR)?"""
        cluster = self.ex.cluster
        for part, state in partition_states(self.ex).items():
            if state.leader is None or not cluster.is_live(state.leader):
                continue
            ends = moments.log_ends(cluster, part)
            top = ends.get(state.leader, 0)
            members = [ends.get(b, 0) for b in state.isr if b != state.leader]
            if any(n >= top for n in members) and any(n < top for n in members):
                return True
        return False

    def _successor_behind(self) -> bool:
        """Does some partition's successor (see `_successor`) lack records that another
        live follower of its live leader holds?"""
        cluster = self.ex.cluster
        for part, _, leader, successor in self._leaders_and_successors():
            ends = moments.log_ends(cluster, part)
            mine = ends.get(successor, 0)
            others = [b for b in self.plan.config.replicas_of(part) if b not in (leader, successor)]
            if any(cluster.is_live(b) and ends.get(b, 0) > mine for b in others):
                return True
        return False

    @staticmethod
    def _coin(data: st.DataObject, label: str) -> bool:
        """A fair yes-or-no choice."""
        return draw(data, st.booleans(), label=label)

    @staticmethod
    def _mostly(data: st.DataObject, label: str) -> bool:
        """A choice that is usually yes (three times in four)."""
        return draw(data, st.integers(0, 3), label=label) > 0

    def _leader_first(self, candidates: list[int]) -> list[int]:
        leads = [s.leader for _, s in sorted(partition_states(self.ex).items())]
        ordered = list(dict.fromkeys(b for b in leads if b in candidates))
        return ordered + [b for b in candidates if b not in ordered]

    # -- setup -----------------------------------------------------------------------
    @initialize(
        cluster_seed=st.integers(0, 2**16 - 1),
        families=st.sets(sampled(FAULT_FAMILIES), min_size=1),
        threads=sampled(SHARED_PRODUCER_THREADS),
    )
    def start(self, cluster_seed: int, families: set[str], threads: int) -> None:
        self.executor = Executor(shared_producer(self.plan.config, threads), cluster_seed)
        self.families = frozenset(families)

    # -- the one rule ----------------------------------------------------------------
    @precondition(lambda self: self.executor is not None)
    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        action = draw(data, sampled(self._menu()), label="action")
        self.previous_action = action
        handler = getattr(self, "_do_" + action.replace("-", "_"), None)
        if handler is None:  # a plain action (see `_plain_actions`): the kind itself
            self._apply(Step(action, {}), fault=True)
            return
        handler(data)

    # -- clients ---------------------------------------------------------------------
    def _send(
        self, data: st.DataObject, wait: bool, partition: int | None = None, fresh: bool = False
    ) -> None:
        """A write from an idle client. `fresh`: usually from a client whose metadata names
        the partition's current leader (or that has none yet): during a failover a
        client still aiming at the dead leader waits a request timeout, and the write the
        procedure is about lands nowhere."""
        idle = self._idle_clients()
        if fresh:
            if partition is None:
                partition = draw(data, sampled(self.plan.partitions), label="partition")
            ready = self._fresh_clients(idle, partition)
            if ready and len(ready) < len(idle) and self._mostly(data, "fresh client"):
                idle = ready
        process = draw(data, sampled(idle), label="client")
        if partition is None:
            partition = draw(data, sampled(self.plan.partitions), label="partition")
        message = f"m{self.next_message}"
        self.next_message += 1
        args = {"process": process, "partition": partition, "message": message, "wait": wait}
        if wait:
            args["wait_ms"] = self.plan.wait_ms
        self._apply(Step("send", args))

    def _fresh_clients(self, idle: list[int], partition: int) -> list[int]:
        """Those of `idle` that would send `partition`'s writes to its current leader."""
        leader = partition_states(self.ex)[partition].leader
        cluster = self.ex.cluster
        return [c for c in idle if moments.client_leader(cluster, c, partition) in (None, leader)]

    def _send_until_done(
        self, data: st.DataObject, attempts: int = 2, partition: int | None = None
    ) -> None:
        """Traffic that goes on during a procedure: a write, written again (a new message,
        as an application would) when it failed -- after a leadership change the first
        write of a client often meets its stale metadata (NOT_LEADER, FENCED_LEADER_EPOCH),
        and the procedure is about what a write that does land does to the replicas."""
        for _ in range(attempts):
            if not self._idle_clients():
                return
            history_from = len(self.ex.cluster.history)
            self._send(data, wait=True, partition=partition, fresh=True)
            if not any(op["type"] == "fail" for op in self.ex.cluster.history[history_from:]):
                return

    def _do_send(self, data: st.DataObject) -> None:
        self._send(data, wait=True)

    def _do_send_inflight(self, data: st.DataObject) -> None:
        self._send(data, wait=False)

    def _do_poll(self, data: st.DataObject) -> None:
        process = draw(data, sampled(self._idle_clients()), label="client")
        partition = draw(data, sampled(self.plan.partitions), label="partition")
        from_start = draw(data, st.booleans(), label="from start")
        offset = 0 if from_start else self.positions.get((process, partition), 0)
        history_from = len(self.ex.cluster.history)
        args = {"process": process, "partition": partition, "offset": offset}
        self._apply(Step("poll", args | {"wait_ms": self.plan.wait_ms}))
        for op in self.ex.cluster.history[history_from:]:
            if op["process"] == process and op["type"] == "ok" and op["f"] == "poll":
                records = op.get("value") or []
                if records:
                    self.positions[(process, partition)] = records[-1][0] + 1

    def _do_tick_short(self, data: st.DataObject) -> None:
        self._apply(Step("tick", {"ms": draw(data, sampled(self.plan.short_ticks))}))

    def _do_tick_long(self, data: st.DataObject) -> None:
        self._apply(Step("tick", {"ms": draw(data, sampled(self.plan.long_ticks))}))

    # -- broker faults ---------------------------------------------------------------
    def _broker_fault(self, data: st.DataObject, kind: str, leader: bool) -> None:
        live = self._live()
        candidates = self._leader_first(live)
        if kind == "power-loss":
            candidates = self._power_targets("power-leader" if leader else "power-other")
        broker = candidates[0] if leader else draw(data, sampled(candidates), label="broker")
        if kind == "power-loss":
            self.powered.add(broker)
        self._apply(Step(kind, {"broker": broker}), fault=True)

    def _do_crash_leader(self, data: st.DataObject) -> None:
        self._broker_fault(data, "crash", leader=True)

    def _do_crash_other(self, data: st.DataObject) -> None:
        self._broker_fault(data, "crash", leader=False)

    def _do_crash_two(self, data: st.DataObject) -> None:
        """A correlated failure (one rack, one bad deploy): the leader and another broker
        crash together, and the controller has to elect from whoever is left."""
        live = self._leader_first(self._live())
        if len(live) < 2:
            return self._do_tick_long(data)
        other = draw(data, sampled(live[1:]), label="broker")
        self._apply(Step("crash", {"broker": live[0]}), fault=True)
        self._apply(Step("crash", {"broker": other}), fault=True)
        return None

    def _do_power_leader(self, data: st.DataObject) -> None:
        self._broker_fault(data, "power-loss", leader=True)

    def _do_power_other(self, data: st.DataObject) -> None:
        self._broker_fault(data, "power-loss", leader=False)

    def _do_replace_disk(self, data: st.DataObject) -> None:
        """A disk swap: the broker stops and comes back at once with empty logs (a reboot
        within its session, the case KIP-841 is about), and registers again."""
        pool = self._disk_replaceable()
        if self.joining in pool and self._mostly(data, "aim joining"):
            pool = [self.joining]  # the broker a held-up ISR proposal is about
        broker = draw(data, sampled(pool), label="broker")
        self.powered.add(broker)
        self.swapped = broker
        self._apply(Step("replace-disk", {"broker": broker}), fault=True)
        self._apply(Step("restart", {"broker": broker}), fault=True)
        # Long enough for the new registration to reach the controller (a heartbeat at
        # start), short enough that the broker has not caught up yet.
        self._apply(Step("tick", {"ms": 2 * max(1, self.delay_hi_ms)}))

    def _do_restart(self, data: st.DataObject) -> None:
        down = [b for b in self.plan.brokers if not self.ex.cluster.is_live(b)]
        broker = draw(data, sampled(down), label="broker")
        self._apply(Step("restart", {"broker": broker}), fault=True)

    # -- network ---------------------------------------------------------------------
    def _partition(self, groups: list[list[str]], note: str = "") -> None:
        args: dict[str, Any] = {"groups": groups}
        if note:
            args["note"] = note
        self.partitioned = True
        self._apply(Step("partition", args), fault=True)

    def _under_load(self, data: st.DataObject) -> None:
        """Background load during a network fault: usually an idle client starts a write
        that the cut leaves in flight, and half a fetch interval passes -- long enough
        for the replicas that can still fetch to copy it, not for the acknowledgement --
        and maybe another client reads meanwhile (a consumer during the incident).
        Uncommitted records on some replicas only are what every failover must get
        right, and a write waiting for its acknowledgement never leaves them behind."""
        if not self._idle_clients() or not self._mostly(data, "under load"):
            return
        part = draw(data, sampled(self.plan.partitions), label="partition")
        ends = moments.log_ends(self.ex.cluster, part)
        self._send(data, wait=False, partition=part)
        # Until the write is on a second replica (a follower that can still fetch copied
        # it), at most one fetch round: then the replicas that can fetch hold it and, if
        # the cut keeps one from fetching, that one does not.
        fetch_ms = max(1, int(self.plan.config.fetch_interval_ms))
        bound_ms = fetch_ms + 4 * max(1, self.delay_hi_ms)
        self._tick_until(lambda c: moments.first_copy(c, part, ends), bound_ms)
        if self._idle_clients() and self._coin(data, "reader"):
            self._do_poll(data)  # a consumer reads during the incident
        self.previous_action = "cut-under-load"

    def _leader_and_partition(self, data: st.DataObject) -> tuple[int, int]:
        states = partition_states(self.ex)
        led = [p for p, s in sorted(states.items()) if s.leader is not None]
        if not led:
            return draw(data, sampled(self.plan.brokers), label="broker"), 0
        part = draw(data, sampled(led), label="partition")
        leader = states[part].leader
        assert leader is not None
        return leader, part

    def _successor(self, part: int, leader: int) -> int | None:
        """The follower the controller would elect if `leader` failed now: the first
        live ISR member in replica order (the role a failover hands leadership to)."""
        isr = partition_states(self.ex).get(part, PartitionState(None, ())).isr
        for broker in self.plan.config.replicas_of(part):
            if broker != leader and broker in isr and self.ex.cluster.is_live(broker):
                return broker
        return None

    def _do_cut_leader_follower(self, data: st.DataObject) -> None:
        leader, part = self._leader_and_partition(data)
        others = [b for b in self.plan.brokers if b != leader]
        if not others:
            return self._do_tick_short(data)
        successor = self._successor(part, leader)
        if successor is not None and self._mostly(data, "successor"):
            follower = successor
        else:
            follower = draw(data, sampled(others), label="follower")
        note = f"cuts the link between leader {leader} of {self.plan.config.topic}-{part} and {follower}"
        self._partition([[f"b{leader}"], [f"b{follower}"]], note)
        self._under_load(data)
        return None

    def _do_cut_leader_replicas(self, data: st.DataObject) -> None:
        leader, part = self._leader_and_partition(data)
        others = [f"b{b}" for b in self.plan.brokers if b != leader]
        if not others:
            return self._do_tick_short(data)
        note = f"leader {leader} of {self.plan.config.topic}-{part} loses its followers"
        self._partition([[f"b{leader}"], others], note)
        self._under_load(data)
        return None

    def _do_cut_link(self, data: st.DataObject) -> None:
        first = draw(data, sampled(self._leader_first(self.plan.brokers)), label="broker")
        others = [b for b in self.plan.brokers if b != first]
        if not others:
            return self._do_tick_short(data)
        second = draw(data, sampled(others), label="other broker")
        self._partition([[f"b{first}"], [f"b{second}"]], f"cuts the link {first}–{second}")
        self._under_load(data)
        return None

    def _ahead(self) -> list[int]:
        """Brokers holding records that another replica of the same partition lacks
        (uncommitted, so far): the replicas whose view of later leadership changes
        decides whether those records survive."""
        ahead: set[int] = set()
        for part in self.plan.partitions:
            lengths = moments.log_ends(self.ex.cluster, part)
            if lengths:
                shortest = min(lengths.values())
                ahead.update(b for b, n in lengths.items() if n > shortest)
        return sorted(ahead)

    def _do_cut_broker_controller(self, data: st.DataObject) -> None:
        ahead = self._ahead()
        pool = ahead if ahead and self._mostly(data, "aim ahead") else self.plan.brokers
        broker = draw(data, sampled(pool), label="broker")
        self._partition([[f"b{broker}"], ["controller"]], f"broker {broker} loses the controller")
        self._under_load(data)

    def _do_isolate_broker(self, data: st.DataObject) -> None:
        broker = draw(data, sampled(self._leader_first(self.plan.brokers)), label="broker")
        rest = [n for n in self.plan.nodes if n != f"b{broker}"]
        self._partition([[f"b{broker}"], rest], f"isolates broker {broker}")

    def _do_split(self, data: st.DataObject) -> None:
        side = draw(
            data,
            st.sets(sampled(self.plan.nodes), min_size=1, max_size=len(self.plan.nodes) - 1),
            label="side",
        )
        ordered = sorted(side, key=self.plan.nodes.index)
        self._partition([ordered, [n for n in self.plan.nodes if n not in side]])

    def _do_heal(self, data: st.DataObject) -> None:
        self.partitioned = False
        self._apply(Step("heal", {}), fault=True)

    def _do_message_faults(self, data: st.DataObject) -> None:
        base_ms = int(self.plan.config.network_delay_ms)
        fetch_ms = max(1, int(self.plan.config.fetch_interval_ms))
        loss = draw(data, sampled([0.0, 0.2, 0.5]), label="loss")
        lo, hi = draw(
            data,
            sampled(
                [
                    (base_ms, base_ms),
                    (base_ms, base_ms + fetch_ms),
                    (base_ms + fetch_ms, base_ms + 4 * fetch_ms),
                ]
            ),
            label="delay",
        )
        args = {"loss": loss, "delay_lo_ms": lo, "delay_hi_ms": hi}
        self.loss, self.delay_hi_ms = loss, hi
        self._apply(Step("message-faults", args), fault=True)

    # -- controller ------------------------------------------------------------------
    def _do_controller_failover(self, data: st.DataObject) -> None:
        self._apply(Step("controller-failover", {}), fault=True)

    def _do_elect_preferred(self, data: st.DataObject) -> None:
        self._apply(Step("elect-preferred", {}), fault=True)

    # -- operator procedures (several steps, as an operator or a cascade would) -------
    def _do_bounce_leader(self, data: st.DataObject) -> None:
        """A rolling restart of the leader: stop it, let the controller fail over, start
        it again, let it catch up, then move leadership back (preferred election).

        Optionally during a network incident: a follower has lost its controller link
        (it misses the metadata of the whole procedure). The follower is preferably one
        holding records that others lack, whose view of leadership decides their fate.
        Usually (3 in 4) that link comes back when the procedure is over (a blip: the
        follower then learns, at once, an epoch with the leader it followed before);
        otherwise the incident goes on."""
        live = self._live()
        if not live:
            return self._do_tick_long(data)
        leader = self._leader_first(live)[0]
        # A network incident in force tends to spread to a controller link (3 in 4).
        if self.partitioned:
            link_lost = self._mostly(data, "controller link lost")
        else:
            link_lost = draw(data, st.booleans(), label="controller link lost")
        cut_here = False
        if link_lost:
            followers = [b for b in live if b != leader]
            ahead = [b for b in self._ahead() if b in followers]
            pool = ahead if ahead and self._mostly(data, "aim ahead") else followers
            if pool:
                broker = draw(data, sampled(pool), label="broker")
                self._partition(
                    [[f"b{broker}"], ["controller"]], f"broker {broker} loses the controller"
                )
                cut_here = True
        self._apply(Step("crash", {"broker": leader}), fault=True)
        self._apply(Step("tick", {"ms": self.plan.long_ticks[0]}))
        self._apply(Step("restart", {"broker": leader}), fault=True)
        self._apply(Step("tick", {"ms": self.plan.short_ticks[-1]}))
        if self._mostly(data, "write before election") and self._idle_clients():
            self._send_until_done(data)
        self._apply(Step("elect-preferred", {}), fault=True)
        self._apply(Step("tick", {"ms": 5 * self.plan.short_ticks[-1]}))
        if cut_here and self._mostly(data, "link back after"):
            self._do_heal(data)
            self._apply(Step("tick", {"ms": self.plan.long_ticks[0]}))
        return None

    def _do_quick_restart_leader(self, data: st.DataObject) -> None:
        live = self._live()
        if not live:
            return self._do_tick_short(data)
        leader = self._leader_first(live)[0]
        self._apply(Step("crash", {"broker": leader}), fault=True)
        self._apply(Step("restart", {"broker": leader}), fault=True)
        return None

    def _tick_until(self, done: Callable[[Cluster], bool], max_ms: int) -> None:
        self.ex.tick_until(done, max_ms)
        self.plan.sink.last_steps = self.ex.steps
        self.plan.sink.steps += 1

    def _do_isr_race(self, data: st.DataObject) -> None:
        """Race an ISR expansion. If no replica is out of the ISR, one first falls behind
        (`_fall_behind`); maybe the leader's process restarts at once (another ISR member
        leads, its HW lagging until every member has fetched from it). Then time passes
        until a leader proposes adding a follower, and either the answer to the follower's
        fetch is cut off (usually, while it carries records the follower lacks: it joins
        the ISR without them, and time passes until the controller has committed it), or
        the expansion is committed and then the leader loses the controller and the new
        member (its view of the ISR stays behind the controller's)."""
        live = self._live()
        leader = self._leader_first(live)[0] if live else None
        if leader is None:
            return
        restarts = draw(data, st.booleans(), label="leader restarts")
        if not self._isr_short(reachable=False) and not self._fall_behind(
            data, live, leader, until_dropped=restarts
        ):
            return
        if restarts:
            # The leader's process restarts at once: the controller moves leadership to
            # another ISR member, whose HW lags until every member has fetched from it.
            self._apply(Step("crash", {"broker": leader}), fault=True)
            self._apply(Step("restart", {"broker": leader}), fault=True)
        bound_ms = self.plan.config.session_timeout_ms + self.plan.config.replica_lag_time_max_ms
        self._tick_until(lambda c: moments.pending_expansion(c) is not None, bound_ms)
        found = moments.pending_expansion(self.ex.cluster)
        if found is None:
            return
        part, leader, member = found
        topic_part = f"{self.plan.config.topic}-{part}"
        if self.plan.config.broker_epochs and draw(data, st.booleans(), label="held up"):
            return self._hold_up_proposal(data, leader, member, topic_part)
        lacks = moments.joining_lacks(self.ex.cluster, part, leader, member)
        if self._race_the_commit(data, lacks):
            self._tick_until(
                lambda c: moments.controller_ahead(c) is not None,
                2 * self.plan.config.fetch_interval_ms,
            )
            if moments.controller_ahead(self.ex.cluster) is None:
                return
            note = (
                f"leader {leader} of {topic_part} loses the controller and {member} "
                f"right after {member} joined the ISR"
            )
            self._partition([[f"b{leader}"], [f"b{member}", "controller"]], note)
        else:
            note = f"cuts the link between leader {leader} of {topic_part} and joining {member}"
            self._partition([[f"b{leader}"], [f"b{member}"]], note)
            if lacks:
                # The member joins without the records the lost answer carried: time
                # passes until the controller has committed it (the state every check
                # after this step sees; the leader drops the member again soon, since it
                # cannot fetch).
                self._tick_until(
                    lambda c: member in c.store.partitions[part].isr,
                    2 * self.plan.config.fetch_interval_ms,
                )
        self.previous_action = "isr-race"
        return None

    def _fall_behind(
        self, data: st.DataObject, live: list[int], leader: int, until_dropped: bool
    ) -> bool:
        """A follower falls behind: cut off from the leader, a write, and the link back.
        Before a leader restart (`until_dropped`) the cut lasts until the controller has
        dropped the follower from the ISR: the leader's lag check runs on its own schedule,
        so a fixed tick often ended with the follower still in it, the write then waited for
        it, and the restarted leader's successor had no lagging follower to propose.
        Otherwise it lasts the longest campaign tick, which often leaves the follower in the
        ISR with the write waiting for it: uneven logs that a later failover must truncate
        (waiting there too doubled the examples the truncation flaws need). False when the
        leader has no live follower."""
        followers = [b for b in live if b != leader]
        if not followers:
            return False
        follower = draw(data, sampled(followers), label="lagging follower")
        self._partition(
            [[f"b{leader}"], [f"b{follower}"]],
            f"cuts the link between leader {leader} and {follower}",
        )
        if until_dropped:
            self._tick_until(
                lambda c: all(follower not in p.isr for p in c.store.partitions),
                2 * self.plan.long_ticks[-1],
            )
        else:
            self._apply(Step("tick", {"ms": self.plan.long_ticks[-1]}))
        if self._idle_clients():
            self._send(data, wait=True)
        self.partitioned = False
        self._apply(Step("heal", {}), fault=True)
        return True

    def _race_the_commit(self, data: st.DataObject, lacks: int) -> bool:
        """Which side of a pending expansion to race: let it reach the controller and then
        cut the leader off (True), or cut the fetch answer to the joining member (False).
        While that answer carries records the member lacks (the leader judged it by a
        lagging high watermark, or writes beyond the HW are in flight), cutting it off
        usually (3 in 4): the member then joins the ISR without them. Otherwise the answer
        is empty and either side is a fair coin."""
        if lacks > 0:
            return not self._mostly(data, "cut the answer")
        return draw(data, st.booleans(), label="race the commit")

    def _hold_up_proposal(
        self, data: st.DataObject, leader: int, member: int, topic_part: str
    ) -> None:
        """(With broker epochs.) The leader loses the controller while its proposal to add
        `member` is in flight, so the AlterPartition is resent later; usually an operator
        swaps a disk meanwhile (usually the joining broker's), the incident moves -- the
        leader gets the controller back and loses a follower (usually the rebooted one)
        -- and time passes until the controller next changes an ISR, or a request timeout
        (when held-up requests are resent) has passed."""
        note = f"leader {leader} of {topic_part} loses the controller while {member} joins"
        self._partition([[f"b{leader}"], ["controller"]], note)
        self.previous_action = "isr-race"
        self.joining = member
        if not self._disk_replaceable() or not self._mostly(data, "disk swap meanwhile"):
            return
        self._do_replace_disk(data)
        others = [b for b in self.plan.brokers if b != leader]
        if self.swapped in others and self._mostly(data, "aim swapped"):
            follower = self.swapped
        else:
            follower = draw(data, sampled(others), label="follower")
        note = f"leader {leader} gets the controller back and loses {follower}"
        self._partition([[f"b{leader}"], [f"b{follower}"]], note)
        config = self.plan.config
        before = [p.isr for p in self.ex.cluster.store.partitions]
        self._tick_until(
            lambda c: [p.isr for p in c.store.partitions] != before,
            int(config.request_timeout_ms) + max(1, int(config.fetch_interval_ms)),
        )

    def _do_cascade(self, data: st.DataObject) -> None:
        """Two leaders fail in quick succession: the leader dies, a link between two
        survivors is cut before the election, and the new leader dies soon after."""
        live = self._live()
        if len(live) < 3:
            return self._do_tick_long(data)
        leader = self._leader_first(live)[0]
        self._apply(Step("crash", {"broker": leader}), fault=True)
        rest = [b for b in live if b != leader]
        first = draw(data, sampled(rest), label="next leader")
        second = next(b for b in rest if b != first)
        self._partition([[f"b{first}"], [f"b{second}"]], f"cuts the link {first}–{second}")
        self._apply(Step("tick", {"ms": self.plan.long_ticks[0]}))
        if self._idle_clients():
            self._send(data, wait=False, fresh=True)
            self._apply(Step("tick", {"ms": self.plan.short_ticks[0]}))
        live = self._live()
        nxt = self._leader_first(live)[0] if live else None
        if nxt is not None and nxt != leader:
            self._apply(Step("crash", {"broker": nxt}), fault=True)
        return None

    # -- checks ----------------------------------------------------------------------
    @invariant()
    def replica_invariants_hold(self) -> None:
        if self.executor is None or not self.executor.last_violations:
            return
        self.failed_invariant = True
        number = len(self.executor.steps)
        raise AssertionError(
            f"replica invariant violated after step {number}: "
            + "; ".join(self.executor.last_violations)
        )

    def teardown(self) -> None:
        if self.executor is None:
            return
        result = self.executor.finish()
        if self.plan.sink.failures:
            self.plan.sink.shrink_runs += 1
        else:
            self.plan.sink.examples += 1
        if self.plan.sink.on_example is not None:
            self.plan.sink.on_example(result)
        if result.violation:
            self.plan.sink.failures.append(result)
            if not self.failed_invariant:
                raise AssertionError("replicheck found a violation\n" + result.story())

    # -- slow links (stateful.actions_fence) -------------------------------------------
    def _do_restart_behind_slow_link(self, data: st.DataObject) -> None:
        actions_fence.restart_behind_slow_link(self, data)

    def _do_failover_behind_slow_controller(self, data: st.DataObject) -> None:
        actions_fence.failover_behind_slow_controller(self, data)


_MACHINE_DIGEST = hashlib.sha384(inspect.getsource(CampaignMachine).encode()).digest()


@dataclass(frozen=True)
class MachinePlan:
    """What one machine class is bound to: the configuration, the sink and the choices
    derived from them once (brokers, nodes, tick sizes)."""

    config: ClusterConfig
    sink: Sink
    brokers: list[int]
    partitions: list[int]
    clients: list[int]
    nodes: list[str]
    ticks: list[int]
    wait_ms: int
    short_ticks: list[int]
    long_ticks: list[int]

    @staticmethod
    def of(config: ClusterConfig, sink: Sink) -> MachinePlan:
        brokers = list(range(1, config.broker_count + 1))
        clients = list(range(CLIENT_COUNT))
        ticks = tick_sizes_ms(config)
        return MachinePlan(
            config=config,
            sink=sink,
            brokers=brokers,
            partitions=list(range(config.partition_count)),
            clients=clients,
            nodes=[f"b{b}" for b in brokers] + [f"c{c}" for c in clients] + ["controller"],
            ticks=ticks,
            wait_ms=campaign_wait_ms(config),
            short_ticks=ticks[:2],
            long_ticks=ticks[2:] or ticks[-1:],
        )


def make_machine(config: ClusterConfig, sink: Sink) -> type[RuleBasedStateMachine]:
    """A state machine class for `config`, reporting runs to `sink`."""

    class ReplicheckMachine(CampaignMachine):
        plan = MachinePlan.of(config, sink)

    # Hypothesis keys its example database by the digest of the class's source; the rules
    # live in `CampaignMachine`, so its source goes into the key too (a changed machine
    # does not replay choice sequences recorded for the old one).
    ReplicheckMachine._hypothesis_internal_add_digest = _MACHINE_DIGEST
    return ReplicheckMachine
