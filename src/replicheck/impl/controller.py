"""The controller: source of truth for leader, leader epoch and ISR of every partition.

A pure state machine like the brokers. Its committed state lives in a `MetadataStore`
(think ZooKeeper / the KRaft metadata log), which survives controller failover; liveness is
in memory and re-learned by a new controller from heartbeats.

Rules:
- a broker whose heartbeats stop for `session_timeout_ms` is dead: it leaves every ISR it
  is in (unless it is the last member) and partitions it led get a new leader — clean
  election takes the first live ISR member in replica order; if none, the partition is
  offline (Leader: -1) unless `unclean_leader_election` allows any live replica;
- a broker heartbeating with a new incarnation restarted: partitions it led are re-elected
  (another ISR member preferred) so no leader epoch is reused across incarnations;
- AlterIsr is accepted only from the current leader at the current leader epoch and
  partition epoch (the zkVersion check), and every change bumps the partition epoch;
- heartbeats carry the partition epochs a broker knows; stale brokers get LeaderAndIsr.
"""

from __future__ import annotations

from collections.abc import Callable

from replicheck.impl import broker_epochs, elr, flags, log_info_round
from replicheck.impl import messages as m
from replicheck.impl.config import ClusterConfig

Emit = Callable[..., None]


class PartitionState:
    __slots__ = (
        "elr",
        "index",
        "isr",
        "key",
        "last_known_elr",
        "last_known_leader",
        "leader",
        "leader_epoch",
        "partition_epoch",
        "replicas",
    )

    def __init__(self, index: int, key: str, replicas: tuple[int, ...]) -> None:
        self.index = index
        self.key = key
        self.replicas = replicas
        self.leader = replicas[0]
        self.leader_epoch = 0
        self.isr = replicas
        self.partition_epoch = 0
        # KIP-966 (elr=True only): eligible leader replicas, the last-known ELR and the
        # leader the partition had when its ISR emptied (see elr.py).
        self.elr: tuple[int, ...] = ()
        self.last_known_elr: tuple[int, ...] = ()
        self.last_known_leader = -1


class MetadataStore:
    """What a controller failover keeps: controller epoch and partition states."""

    def __init__(self, config: ClusterConfig) -> None:
        self.controller_epoch = 0
        self.next_producer_id = 0  # KIP-98 producer ids are never reused
        self.broker_epochs: dict[int, int] = {}  # registrations (with broker_epochs only)
        self.partitions = [
            PartitionState(i, config.partition_key(i), config.replicas_of(i))
            for i in range(config.partition_count)
        ]


class Controller:
    NAME = "controller"

    def __init__(
        self, config: ClusterConfig, store: MetadataStore, now_ms: int, emit: Emit
    ) -> None:
        self.config = config
        self.store = store
        self.epoch = store.controller_epoch
        self.emit = emit
        self.out: list[m.Msg] = []
        brokers = range(1, config.broker_count + 1)
        # A new controller gives every broker one session to prove itself alive.
        self.last_heartbeat_ms = dict.fromkeys(brokers, now_ms)
        self.incarnation: dict[int, int | None] = dict.fromkeys(brokers, None)
        self.alive = set(brokers)
        # ELR: balanced unclean recovery's GetReplicaLogInfo rounds, by partition index.
        self.log_info_rounds: dict[int, log_info_round.LogInfoRound] = {}
        self.corr = 0
        self.elect_any = flags.ELECT_ANY_REPLICA in config.flaws
        self.next_tick_ms = now_ms + config.session_timeout_ms + 1
        self.hosted: dict[int, list[PartitionState]] = {b: [] for b in brokers}
        for p in store.partitions:
            for b in p.replicas:
                self.hosted[b].append(p)

    # -- entry points --------------------------------------------------------------------
    def step(self, msg: m.Msg, now_ms: int) -> list[m.Msg]:
        if isinstance(msg, m.Heartbeat):
            self._on_heartbeat(msg, now_ms)
        elif isinstance(msg, m.AlterIsr):
            self._on_alter_isr(msg)
        elif isinstance(msg, m.InitProducerId):
            pid = self.store.next_producer_id
            self.store.next_producer_id += 1
            self.out.append(m.InitProducerIdResponse(self.NAME, msg.src, pid, 0, msg.corr))
        elif isinstance(msg, m.GetReplicaLogInfoResponse):
            if log_info_round.on_answer(self, msg):
                p = self.store.partitions[msg.partition]
                if p.leader < 0:
                    self._elect(p, exclude=None)
        elif isinstance(msg, m.MetadataRequest):
            parts = tuple((p.leader, p.leader_epoch) for p in self.store.partitions)
            self.out.append(m.MetadataResponse(self.NAME, msg.src, parts, msg.corr))
        out, self.out = self.out, []
        return out

    def tick(self, now_ms: int) -> list[m.Msg]:
        timeout_ms = self.config.session_timeout_ms
        next_ms = 1 << 62
        for b in sorted(self.alive):
            expiry_ms = self.last_heartbeat_ms[b] + timeout_ms
            if expiry_ms <= now_ms:
                self._on_broker_dead(b)
            elif expiry_ms < next_ms:
                next_ms = expiry_ms
        self.next_tick_ms = next_ms
        assert self.next_tick_ms > now_ms
        out, self.out = self.out, []
        return out

    def announce(self) -> list[m.Msg]:
        """Push every partition's state to its replicas (used on takeover)."""
        for p in self.store.partitions:
            self._broadcast(p)
        out, self.out = self.out, []
        return out

    def elect_preferred_leaders(self) -> list[m.Msg]:
        """Move leadership to the preferred (first) replica where it is live and eligible."""
        for p in self.store.partitions:
            preferred = p.replicas[0]
            if p.leader == preferred or preferred not in self.alive:
                continue
            if preferred in p.isr or self.elect_any:
                self._install_leader(p, preferred)
        out, self.out = self.out, []
        return out

    # -- liveness ------------------------------------------------------------------------
    def _on_heartbeat(self, msg: m.Heartbeat, now_ms: int) -> None:
        b = msg.broker
        if self.config.broker_epochs:
            broker_epochs.register(self, b, msg.incarnation)
        self.last_heartbeat_ms[b] = now_ms
        if now_ms + self.config.session_timeout_ms < self.next_tick_ms:
            self.next_tick_ms = now_ms + self.config.session_timeout_ms
        previous = self.incarnation[b]
        self.incarnation[b] = msg.incarnation
        if b not in self.alive or previous != msg.incarnation:
            # (Re-)registration: a broker we thought dead, a restarted process, or the
            # first heartbeat this controller hears from a broker.
            if b in self.alive and previous is not None:
                self._on_broker_restarted(b)
            self.alive.add(b)
            self._on_broker_alive(b)
        known = msg.known
        for p in self.hosted[b]:
            if known[p.index] != p.partition_epoch:
                self._send_state(p, b)
        if self.log_info_rounds:
            log_info_round.on_heartbeat(self, b)

    def next_corr(self) -> int:
        self.corr += 1
        return self.corr

    def _on_broker_dead(self, b: int) -> None:
        self.alive.discard(b)
        for p in self.hosted[b]:
            if self.config.elr:
                elr.remove(self, p, b, unclean=False)
                continue
            changed = False
            isr = p.isr
            if b in isr and len(isr) > 1:
                p.isr = tuple(x for x in isr if x != b)
                changed = True
            if p.leader == b:
                self._elect(p, exclude=b)
            elif changed:
                self._commit(p)

    def _on_broker_alive(self, b: int) -> None:
        for p in self.hosted[b]:
            if p.leader < 0:
                self._elect(p, exclude=None)

    def elect_without(self, p: PartitionState, b: int) -> None:
        """Elect a new leader for `p` other than `b` (used by broker_epochs)."""
        self._elect(p, exclude=b)

    def commit(self, p: PartitionState) -> None:
        self._commit(p)

    def _on_broker_restarted(self, b: int) -> None:
        for p in self.hosted[b]:
            if p.leader == b:
                self._elect(p, exclude=b, fallback=b)

    # -- elections -----------------------------------------------------------------------
    def _elect(self, p: PartitionState, exclude: int | None, fallback: int | None = None) -> None:
        if self.config.elr:
            self._set_leader(p, elr.candidate(self, p, exclude))
            return
        alive = self.alive
        candidate = -1
        for r in p.replicas:
            if r != exclude and r in alive and (r in p.isr or self.elect_any):
                candidate = r
                break
        if candidate < 0 and fallback is not None and fallback in alive and fallback in p.isr:
            candidate = fallback
        if candidate < 0 and self.config.unclean_leader_election:
            for r in p.replicas:
                if r != exclude and r in alive:
                    candidate = r
                    break
        self._install_leader(p, candidate)

    def _install_leader(self, p: PartitionState, leader: int) -> None:
        if leader >= 0 and leader not in p.isr:
            # Unclean (or flawed) election: the new leader's log defines the partition now.
            # Kafka resets the ISR to the new leader; the elect-any flaw keeps the live ISR.
            if self.elect_any:
                p.isr = tuple(
                    r for r in p.replicas if r == leader or (r in p.isr and r in self.alive)
                )
            else:
                p.isr = (leader,)
        self._set_leader(p, leader)

    def _set_leader(self, p: PartitionState, leader: int) -> None:
        p.leader = leader
        p.leader_epoch += 1
        self._commit(p)

    def _commit(self, p: PartitionState) -> None:
        assert p.leader < 0 or p.leader in p.isr, (p.leader, p.isr)
        p.partition_epoch += 1
        self.emit(
            "leader", partition=p.key, leader=p.leader, leader_epoch=p.leader_epoch, isr=list(p.isr)
        )
        self._broadcast(p)

    def _broadcast(self, p: PartitionState) -> None:
        for b in p.replicas:
            self._send_state(p, b)

    def _send_state(self, p: PartitionState, b: int) -> None:
        epoch = broker_epochs.registered_epoch(self, b) if self.config.broker_epochs else -1
        self.out.append(
            m.LeaderAndIsr(
                self.NAME,
                f"b{b}",
                self.epoch,
                p.index,
                p.leader,
                p.leader_epoch,
                p.isr,
                p.partition_epoch,
                epoch,
            )
        )

    # -- ISR changes ---------------------------------------------------------------------
    def _on_alter_isr(self, msg: m.AlterIsr) -> None:
        p = self.store.partitions[msg.partition]
        error = m.NONE
        if msg.broker != p.leader or msg.leader_epoch != p.leader_epoch:
            error = m.FENCED_LEADER_EPOCH
        elif (
            msg.partition_epoch != p.partition_epoch
            or msg.broker not in msg.new_isr
            or not set(msg.new_isr) <= set(p.replicas)
        ):
            error = m.INVALID_UPDATE_VERSION
        elif self.config.broker_epochs:
            error = broker_epochs.alter_isr_error(self, p, msg)
        if error == m.NONE:
            # Bump even when nothing changed: the leader clears its proposal on seeing a
            # partition epoch newer than the one it proposed against.
            if self.config.elr:
                elr.set_isr(self, p, msg.new_isr)
            else:
                p.isr = tuple(r for r in p.replicas if r in msg.new_isr)
            p.partition_epoch += 1
            self.emit(
                "leader",
                partition=p.key,
                leader=p.leader,
                leader_epoch=p.leader_epoch,
                isr=list(p.isr),
            )
        self.out.append(
            m.AlterIsrResponse(
                self.NAME,
                msg.src,
                self.epoch,
                p.index,
                error,
                p.leader,
                p.leader_epoch,
                p.isr,
                p.partition_epoch,
            )
        )
