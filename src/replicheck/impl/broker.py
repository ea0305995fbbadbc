"""The broker state machine: `step(msg, now_ms)` and `tick(now_ms)` return messages to send.

No I/O, no clock, no randomness: the Cluster delivers messages and calls `tick` when
`next_tick_ms` is due. The broker owns heartbeats, LeaderAndIsr handling and dispatch;
the leader and follower halves of the replication protocol live in `leader.py` and
`follower.py` and operate on one `Replica` at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from replicheck.impl import flags, follower, leader
from replicheck.impl import messages as m
from replicheck.impl.config import ClusterConfig
from replicheck.impl.replica import INF_MS, ROLE_FOLLOWER, ROLE_LEADER, Replica
from replicheck.impl.storage import PartitionLog

Emit = Callable[..., None]
Handler = Callable[[m.Msg, int], None]
M = TypeVar("M", bound=m.Msg)


def _handler(kind: type[M], handle: Callable[[M, int], None]) -> tuple[type[m.Msg], Handler]:
    """A dispatch entry: `step` calls `handle` only with messages of exactly `kind`."""
    return kind, cast(Handler, handle)


class Broker:
    """One broker process incarnation. Its `disk` (PartitionLog per partition) is shared
    with the Cluster and survives the object."""

    def __init__(
        self,
        config: ClusterConfig,
        broker_id: int,
        disk: dict[int, PartitionLog],
        incarnation: int,
        now_ms: int,
        emit: Emit,
    ) -> None:
        self.config = config
        self.id = broker_id
        self.name = f"b{broker_id}"
        self.incarnation = incarnation
        self.emit = emit
        self.controller_epoch = -1
        self.out: list[m.Msg] = []
        self.next_tick_ms = now_ms  # heartbeat (= register) right away
        self.heartbeat_due_ms = now_ms
        # flush="interval": the next periodic fsync of every log (INF_MS: never).
        self.flush_due_ms = (
            now_ms + config.flush_interval_ms if config.flush == "interval" else INF_MS
        )
        self.corr = 0
        flaws = config.flaws
        self.fencing = flags.NO_FETCH_FENCING not in flaws
        self.truncate_to_hw = flags.TRUNCATE_TO_HW in flaws
        self.kip279 = flags.NO_KIP279 not in flaws
        self.hw_before_isr_ack = flags.HW_BEFORE_ISR_ACK in flaws
        self.ignore_min_isr = flags.IGNORE_MIN_ISR in flaws
        self.reads_past_hw = flags.CONSUMER_READS_PAST_HW in flaws
        self.clean_epochs_at_end = flags.EPOCH_CACHE_NOT_CLEANED not in flaws
        self.expand_before_epoch_start = flags.ISR_EXPAND_BEFORE_EPOCH_START in flaws
        self.truncate_same_leader = flags.NO_TRUNCATION_SAME_LEADER not in flaws
        self.hw_over_committed_isr = flags.HW_OVER_COMMITTED_ISR in flaws
        self.lazy_truncation = flags.LAZY_TRUNCATION in flaws
        self.dedup = flags.NO_IDEMPOTENT_DEDUP not in flaws
        self.rebuild_producer_state = flags.DEDUP_STATE_LOST_ON_FAILOVER not in flaws
        self.broker_epochs = config.broker_epochs
        self.drop_stale_fetches = flags.STALE_FETCH_EXPANDS_ISR not in flaws
        self.replicas: dict[int, Replica] = {}
        for index in range(config.partition_count):
            replicas = config.replicas_of(index)
            if broker_id in replicas:
                log = disk[index]
                if log.lost_suffix:
                    # This incarnation starts on a log that lost records (see invariants.py).
                    log.lost_suffix = False
                    log.damaged_incarnation = incarnation
                self.replicas[index] = Replica(index, config.partition_key(index), replicas, log)
        self._handlers: dict[type[m.Msg], Handler] = dict(
            (
                _handler(m.LeaderAndIsr, self._on_leader_and_isr),
                _handler(m.AlterIsrResponse, self._on_alter_isr_response),
                _handler(m.Fetch, self._on_fetch),
                _handler(m.FetchResponse, self._on_fetch_response),
                _handler(m.OffsetsForLeaderEpoch, self._on_offsets_for_leader_epoch),
                _handler(
                    m.OffsetsForLeaderEpochResponse, self._on_offsets_for_leader_epoch_response
                ),
                _handler(m.Produce, self._on_produce),
                _handler(m.ConsumerFetch, self._on_consumer_fetch),
                _handler(m.GetReplicaLogInfo, self._on_get_replica_log_info),
            )
        )

    # -- entry points --------------------------------------------------------------------
    def step(self, msg: m.Msg, now_ms: int) -> list[m.Msg]:
        handler = self._handlers.get(type(msg))
        if handler is not None:
            handler(msg, now_ms)
        out, self.out = self.out, []
        return out

    def tick(self, now_ms: int) -> list[m.Msg]:
        if now_ms >= self.heartbeat_due_ms:
            self._send_heartbeat()
            self.heartbeat_due_ms = now_ms + self.config.heartbeat_interval_ms
        self.next_tick_ms = self.heartbeat_due_ms
        if now_ms >= self.flush_due_ms:
            for replica in self.replicas.values():
                replica.log.flush()
            self.flush_due_ms = now_ms + self.config.flush_interval_ms
        self.wake_at(self.flush_due_ms)
        for replica in self.replicas.values():
            if replica.role == ROLE_LEADER:
                leader.tick(self, replica, now_ms)
            elif replica.role == ROLE_FOLLOWER:
                follower.tick(self, replica, now_ms)
        assert self.next_tick_ms > now_ms
        out, self.out = self.out, []
        return out

    # -- helpers used by leader.py / follower.py -----------------------------------------
    def wake_at(self, t_ms: int) -> None:
        if t_ms < self.next_tick_ms:
            self.next_tick_ms = t_ms

    def next_corr(self) -> int:
        self.corr += 1
        return self.corr

    def set_hw(self, replica: Replica, hw: int) -> None:
        if hw != replica.hw:
            replica.hw = hw
            replica.log.hw_checkpoint = hw
            self.emit("hw", broker=self.id, partition=replica.key, hw=hw)

    # -- heartbeats and controller state ---------------------------------------------------
    def _send_heartbeat(self) -> None:
        known = tuple(
            self.replicas[i].partition_epoch if i in self.replicas else -1
            for i in range(self.config.partition_count)
        )
        self.out.append(m.Heartbeat(self.name, "controller", self.id, self.incarnation, known))

    def _on_get_replica_log_info(self, msg: m.GetReplicaLogInfo, now_ms: int) -> None:
        """KIP-966: tell the controller's unclean recovery what this log holds now."""
        replica = self.replicas.get(msg.partition)
        if replica is None or msg.broker_epoch != self.incarnation:
            return  # asked of another incarnation (KIP-380), or not a replica
        log = replica.log
        self.out.append(
            m.GetReplicaLogInfoResponse(
                self.name,
                "controller",
                self.id,
                self.incarnation,
                msg.partition,
                log.latest_epoch(),
                log.leo,
                msg.corr,
            )
        )

    def _on_leader_and_isr(self, msg: m.LeaderAndIsr, now_ms: int) -> None:
        if msg.controller_epoch < self.controller_epoch:
            return  # a deposed controller
        if self.broker_epochs and msg.broker_epoch != self.incarnation:
            return  # KIP-380: meant for another incarnation (or sent before we registered)
        self.controller_epoch = max(self.controller_epoch, msg.controller_epoch)
        replica = self.replicas.get(msg.partition)
        if replica is None:
            return
        if msg.leader_epoch < replica.leader_epoch:
            return
        if msg.leader_epoch == replica.leader_epoch:
            if msg.partition_epoch <= replica.partition_epoch:
                return
            # Same leadership, new ISR.
            replica.partition_epoch = msg.partition_epoch
            replica.isr = msg.isr
            if replica.role == ROLE_LEADER:
                leader.on_isr_update(self, replica, now_ms)
            return
        # A new leader epoch: become leader or follower.
        if msg.leader == self.id:
            leader.become_leader(self, replica, msg, now_ms)
        else:
            if replica.role == ROLE_LEADER:
                leader.abdicate(self, replica)
            follower.become_follower(self, replica, msg, now_ms)

    def _on_alter_isr_response(self, msg: m.AlterIsrResponse, now_ms: int) -> None:
        replica = self.replicas.get(msg.partition)
        if replica is not None and replica.role == ROLE_LEADER:
            leader.on_alter_isr_response(self, replica, msg, now_ms)

    # -- dispatch to the role halves -------------------------------------------------------
    def _on_fetch(self, msg: m.Fetch, now_ms: int) -> None:
        replica = self.replicas.get(msg.partition)
        if replica is not None:
            leader.on_fetch(self, replica, msg, now_ms)

    def _on_offsets_for_leader_epoch(self, msg: m.OffsetsForLeaderEpoch, now_ms: int) -> None:
        replica = self.replicas.get(msg.partition)
        if replica is not None:
            leader.on_offsets_for_leader_epoch(self, replica, msg)

    def _on_produce(self, msg: m.Produce, now_ms: int) -> None:
        replica = self.replicas.get(msg.partition)
        if replica is None:
            self.out.append(
                m.ProduceResponse(
                    self.name, msg.src, msg.partition, m.NOT_LEADER_OR_FOLLOWER, -1, False, msg.corr
                )
            )
            return
        leader.on_produce(self, replica, msg, now_ms)

    def _on_consumer_fetch(self, msg: m.ConsumerFetch, now_ms: int) -> None:
        replica = self.replicas.get(msg.partition)
        if replica is None:
            self.out.append(
                m.ConsumerFetchResponse(
                    self.name,
                    msg.src,
                    msg.partition,
                    m.NOT_LEADER_OR_FOLLOWER,
                    msg.offset,
                    [],
                    msg.corr,
                )
            )
            return
        leader.on_consumer_fetch(self, replica, msg)

    def _on_fetch_response(self, msg: m.FetchResponse, now_ms: int) -> None:
        replica = self.replicas.get(msg.partition)
        if replica is not None and replica.role == ROLE_FOLLOWER:
            follower.on_fetch_response(self, replica, msg, now_ms)

    def _on_offsets_for_leader_epoch_response(
        self, msg: m.OffsetsForLeaderEpochResponse, now_ms: int
    ) -> None:
        replica = self.replicas.get(msg.partition)
        if replica is not None and replica.role == ROLE_FOLLOWER:
            follower.on_offsets_response(self, replica, msg, now_ms)


__all__ = ["INF_MS", "Broker"]
