"""The leader half of partition replication (functions over one broker's `Replica`).

Rules, as in Kafka:
- followers pull; a Fetch's `fetch_offset` is the follower's LEO; the leader answers with
  records and its HW, or parks the fetch until data arrives or `fetch_interval_ms` passes;
- HW = min LEO over the maximal ISR (committed ISR plus pending additions); a follower
  whose LEO is unknown in this epoch holds the HW back;
- the ISR shrinks after `replica_lag_time_max_ms` without catching up and expands when a
  follower reaches both the HW and the start of the current epoch; both go through the
  controller (AlterIsr, fenced by leader epoch and partition epoch);
- acks=all: reject before append when ISR < min.insync.replicas; acknowledge when the HW
  passes the record, or report NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below
  the minimum meanwhile;
- fetch, produce, consumer fetch and OffsetsForLeaderEpoch carry a leader epoch and stale
  or future ones are fenced (KIP-320).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicheck.impl import messages as m
from replicheck.impl import producer_state as ps
from replicheck.impl.replica import INF_MS, ROLE_LEADER, Replica, Waiter

if TYPE_CHECKING:
    from replicheck.impl.broker import Broker


def _epoch_error(broker: Broker, replica: Replica, request_epoch: int, fence: bool) -> str:
    """The KIP-320 check, or NOT_LEADER_OR_FOLLOWER; NONE when the request may proceed."""
    if fence:
        if request_epoch < replica.leader_epoch:
            return m.FENCED_LEADER_EPOCH
        if request_epoch > replica.leader_epoch:
            return m.UNKNOWN_LEADER_EPOCH
    if replica.role != ROLE_LEADER:
        return m.NOT_LEADER_OR_FOLLOWER
    return m.NONE


# -- role changes ----------------------------------------------------------------------


def become_leader(broker: Broker, replica: Replica, msg: m.LeaderAndIsr, now_ms: int) -> None:
    assert msg.leader == broker.id and msg.leader_epoch > replica.leader_epoch
    replica.role = ROLE_LEADER
    replica.leader = broker.id
    replica.leader_epoch = msg.leader_epoch
    replica.partition_epoch = msg.partition_epoch
    replica.isr = msg.isr
    log = replica.log
    log.assign_epoch(msg.leader_epoch, log.leo)
    replica.epoch_start = log.leo
    others = [b for b in replica.replicas if b != broker.id]
    replica.f_leo = dict.fromkeys(others, -1)
    replica.f_caught_ms = dict.fromkeys(others, now_ms)
    replica.f_last_fetch_leo = dict.fromkeys(others, -1)
    replica.f_last_fetch_ms = dict.fromkeys(others, now_ms)
    replica.f_broker_epoch = dict.fromkeys(others, -1)
    replica.pending_isr = None
    replica.pending_base_pe = -1
    replica.pending_resend_ms = INF_MS
    replica.waiters = []
    replica.parked = []
    # KIP-98: the producer state is a function of the log; a new leader rebuilds it so it
    # deduplicates retries of batches its predecessor appended (the flaw starts empty).
    if broker.config.enable_idempotence:
        replica.producers = (
            ps.ProducerState.from_log(log.entries)
            if broker.rebuild_producer_state
            else ps.ProducerState(lenient=True)
        )
    # Follower-side state is void now.
    replica.inflight_corr = -1
    replica.need_truncation = False
    broker.set_hw(replica, min(replica.hw, log.leo))
    broker.emit(
        "become-leader", broker=broker.id, partition=replica.key, leader_epoch=replica.leader_epoch
    )
    maybe_advance_hw(broker, replica, now_ms)
    broker.wake_at(now_ms + broker.config.replica_lag_time_max_ms + 1)


def abdicate(broker: Broker, replica: Replica) -> None:
    """Leadership lost: pending produces end with an unknown outcome, parked fetches are
    answered so followers re-discover the leader."""
    name = broker.name
    for w in replica.waiters:
        broker.out.append(
            m.ProduceResponse(
                name, w.client, replica.index, m.NOT_LEADER_OR_FOLLOWER, w.offset, True, w.corr
            )
        )
    replica.waiters = []
    for fetch, _deadline in replica.parked:
        broker.out.append(
            m.FetchResponse(
                name,
                fetch.src,
                replica.index,
                fetch.leader_epoch,
                m.NOT_LEADER_OR_FOLLOWER,
                fetch.fetch_offset,
                [],
                replica.hw,
                fetch.corr,
            )
        )
    replica.parked = []
    replica.pending_isr = None


def on_isr_update(broker: Broker, replica: Replica, now_ms: int) -> None:
    """The controller committed a new ISR for our epoch (ours or its own removal)."""
    if replica.pending_isr is not None and replica.partition_epoch > replica.pending_base_pe:
        replica.pending_isr = None
        replica.pending_resend_ms = INF_MS
        broker.wake_at(now_ms + 1)  # re-evaluate lagging followers
    maybe_advance_hw(broker, replica, now_ms)


def on_alter_isr_response(
    broker: Broker, replica: Replica, msg: m.AlterIsrResponse, now_ms: int
) -> None:
    if msg.leader_epoch != replica.leader_epoch or msg.leader != broker.id:
        return  # we are (about to be) deposed; LeaderAndIsr will tell us
    # Success or rejection, the answer carries the committed state: adopt it when newer,
    # so the HW is computed over the ISR elections will use.
    if msg.partition_epoch > replica.partition_epoch:
        replica.isr = msg.isr
        replica.partition_epoch = msg.partition_epoch
    if msg.error in (m.STALE_BROKER_EPOCH, m.INELIGIBLE_REPLICA):
        # The addition is void; a fresh fetch from the current incarnation proposes again.
        replica.pending_isr = None
        replica.pending_resend_ms = INF_MS
    on_isr_update(broker, replica, now_ms)


def _propose_isr(broker: Broker, replica: Replica, new_isr: tuple[int, ...], now_ms: int) -> None:
    assert replica.pending_isr is None and broker.id in new_isr
    replica.pending_isr = new_isr
    if broker.broker_epochs:
        replica.pending_epochs = tuple(
            broker.incarnation if b == broker.id else replica.f_broker_epoch.get(b, -1)
            for b in new_isr
        )
    replica.pending_base_pe = replica.partition_epoch
    replica.pending_resend_ms = now_ms + broker.config.request_timeout_ms
    broker.wake_at(replica.pending_resend_ms)
    _send_alter_isr(broker, replica)


def _send_alter_isr(broker: Broker, replica: Replica) -> None:
    assert replica.pending_isr is not None
    broker.out.append(
        m.AlterIsr(
            broker.name,
            "controller",
            broker.id,
            replica.index,
            replica.leader_epoch,
            replica.pending_base_pe,
            replica.pending_isr,
            replica.pending_epochs if broker.broker_epochs else (),
        )
    )


# -- the high watermark ---------------------------------------------------------------


def maybe_advance_hw(broker: Broker, replica: Replica, now_ms: int) -> None:
    if broker.config.elr and len(replica.isr) < broker.config.min_insync_replicas:
        return  # KIP-966: the HW advances only while the ISR has min.insync.replicas members
    # KIP-497: a pending expansion counts at once (the controller may already have committed
    # it, and elections would then pick the new member); the flaw counts only the committed.
    members = replica.isr if broker.hw_over_committed_isr else replica.maximal_isr()
    me = broker.id
    leo = replica.log.leo
    f_leo = replica.f_leo
    if broker.hw_before_isr_ack:
        # Flaw: the HW follows the min.insync.replicas-th highest LEO of the ISR, i.e. it
        # passes a record once "enough" replicas have it rather than all of the ISR.
        leos = sorted((leo if b == me else f_leo.get(b, -1) for b in members), reverse=True)
        need = min(broker.config.min_insync_replicas, len(leos))
        new_hw = leos[need - 1]
    else:
        new_hw = leo
        for b in members:
            if b != me:
                f = f_leo.get(b, -1)
                if f < new_hw:
                    new_hw = f
    if new_hw > replica.hw:
        assert new_hw <= leo
        broker.set_hw(replica, new_hw)
        _complete_waiters(broker, replica)


def _complete_waiters(broker: Broker, replica: Replica) -> None:
    hw = replica.hw
    waiters = replica.waiters
    if not waiters or waiters[0].offset >= hw:
        return
    enough = broker.ignore_min_isr or len(replica.isr) >= broker.config.min_insync_replicas
    error = m.NONE if enough else m.NOT_ENOUGH_REPLICAS_AFTER_APPEND
    keep = []
    name = broker.name
    for w in waiters:
        if w.offset < hw:
            broker.out.append(
                m.ProduceResponse(name, w.client, replica.index, error, w.offset, True, w.corr)
            )
        else:
            keep.append(w)
    replica.waiters = keep


# -- requests -------------------------------------------------------------------------


def on_fetch(broker: Broker, replica: Replica, msg: m.Fetch, now_ms: int) -> None:
    lazy = broker.lazy_truncation
    # Kip320FirstTry's Fetch carries the epoch of the follower's last record, not its
    # current leader epoch: the leader checks that record instead of fencing the request.
    error = _epoch_error(broker, replica, msg.leader_epoch, broker.fencing and not lazy)
    log = replica.log
    follower_id = msg.replica_id
    if error == m.NONE and follower_id not in replica.f_leo:
        error = m.NOT_LEADER_OR_FOLLOWER
    if error == m.NONE and lazy and _last_epoch_differs(log.entries, msg):
        error = m.LOG_TRUNCATION
    if error == m.NONE and msg.fetch_offset > log.leo:
        error = m.OFFSET_OUT_OF_RANGE
    if error != m.NONE:
        broker.out.append(
            m.FetchResponse(
                broker.name,
                msg.src,
                replica.index,
                msg.leader_epoch,
                error,
                msg.fetch_offset,
                [],
                replica.hw,
                msg.corr,
            )
        )
        return
    if broker.broker_epochs and not _current_incarnation(broker, replica, msg):
        return  # KAFKA-15221: a fetch from a previous incarnation says nothing about this one
    fetch_offset = msg.fetch_offset
    leo = log.leo
    # Track the follower: LEO, and when it was last caught up (Kafka's lastCaughtUpTimeMs).
    if fetch_offset >= leo:
        replica.f_caught_ms[follower_id] = now_ms
    elif fetch_offset >= replica.f_last_fetch_leo[follower_id] >= 0:
        replica.f_caught_ms[follower_id] = replica.f_last_fetch_ms[follower_id]
    replica.f_last_fetch_leo[follower_id] = leo
    replica.f_last_fetch_ms[follower_id] = now_ms
    replica.f_leo[follower_id] = fetch_offset
    if (
        replica.pending_isr is None
        and follower_id not in replica.isr
        and fetch_offset >= replica.hw
        # KAFKA-7128: right after an election the HW may lag the start of the epoch.
        and (fetch_offset >= replica.epoch_start or broker.expand_before_epoch_start)
    ):
        _propose_isr(
            broker, replica, _in_replica_order(replica, (*replica.isr, follower_id)), now_ms
        )
    maybe_advance_hw(broker, replica, now_ms)
    if fetch_offset < leo:
        _answer_fetch(broker, replica, msg)
    else:
        deadline = now_ms + broker.config.fetch_interval_ms
        replica.parked.append((msg, deadline))
        broker.wake_at(deadline)


def _last_epoch_differs(entries: list[m.Entry], msg: m.Fetch) -> bool:
    """lazy-truncation: the follower's last record (at fetch_offset - 1) is not ours."""
    offset = msg.fetch_offset
    if offset > len(entries):
        return True
    return offset > 0 and entries[offset - 1][0] != msg.last_epoch


def _current_incarnation(broker: Broker, replica: Replica, msg: m.Fetch) -> bool:
    """Record the follower's broker epoch; False for a fetch from an older incarnation.

    The stale-fetch-expands-isr flaw takes such a fetch's offset anyway and keeps the
    newest epoch: the old incarnation's log end then vouches for the new incarnation."""
    known = replica.f_broker_epoch.get(msg.replica_id, -1)
    if msg.broker_epoch >= known:
        replica.f_broker_epoch[msg.replica_id] = msg.broker_epoch
        return True
    return not broker.drop_stale_fetches


def _answer_fetch(broker: Broker, replica: Replica, msg: m.Fetch) -> None:
    start = msg.fetch_offset
    records = replica.log.entries[start : start + broker.config.max_fetch_records]
    broker.out.append(
        m.FetchResponse(
            broker.name,
            msg.src,
            replica.index,
            msg.leader_epoch,
            m.NONE,
            start,
            records,
            replica.hw,
            msg.corr,
        )
    )


def _in_replica_order(replica: Replica, members: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(b for b in replica.replicas if b in members)


def on_offsets_for_leader_epoch(
    broker: Broker, replica: Replica, msg: m.OffsetsForLeaderEpoch
) -> None:
    # Kip320FirstTry truncates against whoever the follower believes leads, whatever the
    # follower's epoch: no current-epoch fencing of the truncation either.
    fence = broker.fencing and not broker.lazy_truncation
    error = _epoch_error(broker, replica, msg.leader_epoch, fence)
    epoch, end = -1, -1
    if error == m.NONE:
        if broker.kip279:
            epoch, end = replica.log.end_offset_for_epoch(msg.requested_epoch)
        else:
            epoch, end = replica.log.end_offset_for_epoch_pre_kip279(msg.requested_epoch)
    broker.out.append(
        m.OffsetsForLeaderEpochResponse(
            broker.name, msg.src, replica.index, msg.leader_epoch, error, epoch, end, msg.corr
        )
    )


def on_produce(broker: Broker, replica: Replica, msg: m.Produce, now_ms: int) -> None:
    error = _epoch_error(broker, replica, msg.leader_epoch, broker.fencing)
    config = broker.config
    if (
        error == m.NONE
        and msg.acks == "all"
        and not broker.ignore_min_isr
        and len(replica.isr) < config.min_insync_replicas
    ):
        error = m.NOT_ENOUGH_REPLICAS
    if error != m.NONE:
        if msg.acks != "0":
            broker.out.append(
                m.ProduceResponse(broker.name, msg.src, replica.index, error, -1, False, msg.corr)
            )
        return
    producer = msg.producer
    if producer is not None and broker.dedup:
        verdict, original = replica.producers.check(*producer)
        if verdict == ps.DUPLICATE:
            _answer_duplicate(broker, replica, msg, original, now_ms)
            return
        if verdict != ps.APPEND:
            broker.out.append(
                m.ProduceResponse(
                    broker.name,
                    msg.src,
                    replica.index,
                    _PRODUCER_ERRORS[verdict],
                    -1,
                    False,
                    msg.corr,
                )
            )
            return
    log = replica.log
    offset = log.append(replica.leader_epoch, msg.message, producer)
    if producer is not None:
        replica.producers.record(*producer, offset)
    broker.emit("leo", broker=broker.id, partition=replica.key, leo=log.leo)
    if replica.parked:
        parked, replica.parked = replica.parked, []
        for fetch, _deadline in parked:
            _answer_fetch(broker, replica, fetch)
    if msg.acks == "1":
        broker.out.append(
            m.ProduceResponse(broker.name, msg.src, replica.index, m.NONE, offset, True, msg.corr)
        )
    elif msg.acks == "all":
        deadline = now_ms + config.request_timeout_ms
        replica.waiters.append(Waiter(offset, msg.src, msg.corr, deadline))
        broker.wake_at(deadline)
        maybe_advance_hw(broker, replica, now_ms)


_PRODUCER_ERRORS = {
    ps.OUT_OF_ORDER: m.OUT_OF_ORDER_SEQUENCE_NUMBER,
    ps.FENCED: m.INVALID_PRODUCER_EPOCH,
    ps.UNKNOWN_PRODUCER: m.UNKNOWN_PRODUCER_ID,
}


def _answer_duplicate(
    broker: Broker, replica: Replica, msg: m.Produce, original: int, now_ms: int
) -> None:
    """A retry of a batch already in the log at `original`: no second copy; the answer is
    the original's, given when the original is committed (as Kafka's delayed produce waits
    for the original batch's offsets)."""
    if original < replica.hw:
        broker.out.append(
            m.ProduceResponse(broker.name, msg.src, replica.index, m.NONE, original, True, msg.corr)
        )
        return
    deadline = now_ms + broker.config.request_timeout_ms
    replica.waiters.append(Waiter(original, msg.src, msg.corr, deadline))
    replica.waiters.sort(key=lambda w: w.offset)
    broker.wake_at(deadline)


def on_consumer_fetch(broker: Broker, replica: Replica, msg: m.ConsumerFetch) -> None:
    error = _epoch_error(broker, replica, msg.leader_epoch, broker.fencing)
    log = replica.log
    if error == m.NONE and msg.offset > log.leo:
        error = m.OFFSET_OUT_OF_RANGE
    records: list[m.ConsumerRecord] = []
    if error == m.NONE:
        bound = log.leo if broker.reads_past_hw else replica.hw
        end = min(bound, msg.offset + msg.max_records)
        entries = log.entries
        # [offset, message] lists: the client puts them into the history as they are.
        records = [[o, entries[o][1]] for o in range(msg.offset, end)]
    broker.out.append(
        m.ConsumerFetchResponse(
            broker.name, msg.src, replica.index, error, msg.offset, records, msg.corr
        )
    )


# -- timers ---------------------------------------------------------------------------


def tick(broker: Broker, replica: Replica, now_ms: int) -> None:
    config = broker.config
    # Expired acks=all waits: the client has given up too (same timeout); just forget them.
    if replica.waiters:
        live = [w for w in replica.waiters if w.deadline_ms > now_ms]
        replica.waiters = live
        for w in live:
            broker.wake_at(w.deadline_ms)
    # Long-poll fetches that waited long enough get an empty answer (with the current HW).
    if replica.parked:
        keep = []
        for fetch, deadline in replica.parked:
            if deadline <= now_ms:
                _answer_fetch(broker, replica, fetch)
            else:
                keep.append((fetch, deadline))
                broker.wake_at(deadline)
        replica.parked = keep
    # AlterIsr retransmission until the controller's answer (or a LeaderAndIsr) arrives.
    if replica.pending_isr is not None:
        if now_ms >= replica.pending_resend_ms:
            replica.pending_resend_ms = now_ms + config.request_timeout_ms
            _send_alter_isr(broker, replica)
        broker.wake_at(replica.pending_resend_ms)
    # ISR shrink.
    lag_ms = config.replica_lag_time_max_ms
    lagging = [
        b
        for b in replica.isr
        if b != broker.id and now_ms - replica.f_caught_ms.get(b, now_ms) > lag_ms
    ]
    if lagging and replica.pending_isr is None:
        _propose_isr(broker, replica, tuple(b for b in replica.isr if b not in lagging), now_ms)
    for b in replica.isr:
        if b != broker.id:
            due_ms = replica.f_caught_ms.get(b, now_ms) + lag_ms + 1
            if due_ms > now_ms:  # overdue ones are covered by the pending proposal's timer
                broker.wake_at(due_ms)
