"""The follower half of partition replication (functions over one broker's `Replica`).

A follower that learns of a new leader epoch first truncates its log to the point where it
provably agrees with the new leader, by asking OffsetsForLeaderEpoch (KIP-101) for the end
of its latest epoch; with KIP-279 the leader answers with the largest epoch it knows that is
<= the asked one, and the follower repeats the question one epoch lower when it does not
share that epoch. Then it fetches from its LEO, appends, and sets its HW to
min(leader HW, own LEO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicheck.impl import messages as m
from replicheck.impl.replica import (
    FETCHER_FETCHING,
    FETCHER_IDLE,
    FETCHER_TRUNCATING,
    INF_MS,
    ROLE_FOLLOWER,
    Replica,
)

if TYPE_CHECKING:
    from replicheck.impl.broker import Broker


def become_follower(broker: Broker, replica: Replica, msg: m.LeaderAndIsr, now_ms: int) -> None:
    assert msg.leader != broker.id and msg.leader_epoch > replica.leader_epoch
    # Flaw (pre-KAFKA-7164): a follower whose leader did not change keeps fetching as it was,
    # although it may have missed epochs (and the truncations they required) meanwhile.
    same_leader = (
        replica.role == ROLE_FOLLOWER
        and replica.leader == msg.leader
        and not broker.truncate_same_leader
    )
    replica.role = ROLE_FOLLOWER
    replica.leader = msg.leader
    replica.leader_epoch = msg.leader_epoch
    replica.partition_epoch = msg.partition_epoch
    replica.isr = msg.isr
    if same_leader:
        return  # the fetcher keeps its state (and its in-flight request)
    replica.inflight_corr = -1
    replica.fetcher = FETCHER_IDLE
    if broker.truncate_to_hw:
        # Flaw (pre-KIP-101): the follower's own HW is taken as the agreed prefix.
        _truncate(broker, replica, replica.hw)
        replica.need_truncation = False
    elif broker.lazy_truncation:
        # Flaw (Kip320FirstTry): fetch at once; truncate only when the leader reports that
        # the epoch of our last record does not match its own (LOG_TRUNCATION).
        replica.need_truncation = False
    else:
        # An empty log may still hold epochs (a leader that wrote nothing): they must go the
        # way Kafka's truncation takes them, or a record fetched later sits under an epoch
        # entry newer than its own and misleads the next follower's OffsetsForLeaderEpoch.
        replica.need_truncation = replica.log.leo > 0 or bool(replica.log.epochs)
    if msg.leader < 0:
        replica.next_action_ms = INF_MS  # no leader: nothing to fetch from
        return
    start_next(broker, replica, now_ms)


def start_next(broker: Broker, replica: Replica, now_ms: int) -> None:
    """Send the next request of the fetcher: OffsetsForLeaderEpoch or Fetch."""
    assert replica.role == ROLE_FOLLOWER and replica.leader >= 0
    corr = broker.next_corr()
    replica.inflight_corr = corr
    config = broker.config
    # The leader parks a fetch for at most one fetch interval, so silence for three means
    # the request or its answer was lost (partition, loss): ask again.
    replica.inflight_deadline_ms = now_ms + 3 * config.fetch_interval_ms
    broker.wake_at(replica.inflight_deadline_ms)
    dst = f"b{replica.leader}"
    if replica.need_truncation:
        replica.fetcher = FETCHER_TRUNCATING
        broker.out.append(
            m.OffsetsForLeaderEpoch(
                broker.name,
                dst,
                replica.index,
                broker.id,
                replica.leader_epoch,
                replica.log.latest_epoch(),
                corr,
            )
        )
    else:
        replica.fetcher = FETCHER_FETCHING
        log = replica.log
        last_epoch = log.entries[-1][0] if broker.lazy_truncation and log.entries else -1
        broker.out.append(
            m.Fetch(
                broker.name,
                dst,
                replica.index,
                broker.id,
                replica.leader_epoch,
                log.leo,
                corr,
                broker.incarnation,
                last_epoch,
            )
        )


def _back_off(broker: Broker, replica: Replica, now_ms: int) -> None:
    replica.fetcher = FETCHER_IDLE
    replica.inflight_corr = -1
    replica.next_action_ms = now_ms + broker.config.fetch_interval_ms
    broker.wake_at(replica.next_action_ms)


def _truncate(broker: Broker, replica: Replica, offset: int) -> None:
    log = replica.log
    if log.truncate(offset, broker.clean_epochs_at_end) > 0:
        broker.emit("truncate", broker=broker.id, partition=replica.key, offset=offset)
        broker.emit("leo", broker=broker.id, partition=replica.key, leo=log.leo)
    if replica.hw > log.leo:
        broker.set_hw(replica, log.leo)


def on_fetch_response(broker: Broker, replica: Replica, msg: m.FetchResponse, now_ms: int) -> None:
    if msg.corr != replica.inflight_corr or replica.fetcher != FETCHER_FETCHING:
        return  # an answer to a request we no longer wait for
    if msg.error != m.NONE:
        if msg.error == m.LOG_TRUNCATION:
            replica.need_truncation = True  # lazy-truncation: truncate now, then fetch
        elif msg.error == m.OFFSET_OUT_OF_RANGE:
            if broker.truncate_to_hw:
                # Pre-KIP-101: cut back to a high watermark (ours or, if lower, the leader's).
                _truncate(broker, replica, min(replica.hw, msg.hw))
            else:
                replica.need_truncation = True
        _back_off(broker, replica, now_ms)
        return
    log = replica.log
    if msg.base_offset == log.leo and msg.records:
        for entry in msg.records:
            log.append(*entry)
        broker.emit("leo", broker=broker.id, partition=replica.key, leo=log.leo)
    hw = min(msg.hw, log.leo)
    if hw != replica.hw:
        broker.set_hw(replica, hw)
    start_next(broker, replica, now_ms)


def on_offsets_response(
    broker: Broker, replica: Replica, msg: m.OffsetsForLeaderEpochResponse, now_ms: int
) -> None:
    if msg.corr != replica.inflight_corr or replica.fetcher != FETCHER_TRUNCATING:
        return
    if msg.error != m.NONE:
        _back_off(broker, replica, now_ms)
        return
    log = replica.log
    leo = log.leo
    done = True
    if msg.epoch == m.UNDEFINED_EPOCH:
        target = min(msg.end_offset, leo)
    else:
        own_epoch, own_end = log.end_offset_for_epoch(msg.epoch)
        if own_epoch == msg.epoch:
            target = min(own_end, msg.end_offset, leo)
        elif own_epoch == m.UNDEFINED_EPOCH:
            target = min(own_end, leo)
        else:
            # We never had the leader's epoch: cut back to the end of our largest epoch
            # below it and ask again about that one (KIP-279).
            target = min(own_end, leo)
            done = False
    _truncate(broker, replica, target)
    replica.need_truncation = not done
    start_next(broker, replica, now_ms)


def tick(broker: Broker, replica: Replica, now_ms: int) -> None:
    if replica.leader < 0:
        return
    if replica.fetcher == FETCHER_IDLE:
        if now_ms >= replica.next_action_ms:
            start_next(broker, replica, now_ms)
        else:
            broker.wake_at(replica.next_action_ms)
    elif now_ms >= replica.inflight_deadline_ms:
        start_next(broker, replica, now_ms)  # lost request or response: ask again
    else:
        broker.wake_at(replica.inflight_deadline_ms)
