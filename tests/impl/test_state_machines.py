"""The state machines on their own: feed messages, inspect the messages they emit."""

from __future__ import annotations

from replicheck.impl import ClusterConfig
from replicheck.impl import messages as m
from replicheck.impl.broker import Broker
from replicheck.impl.controller import Controller, MetadataStore
from replicheck.impl.storage import PartitionLog
from replicheck.impl.zoo import get_flaw


def _broker(config: ClusterConfig, broker_id: int = 1,
            entries: list[tuple[int, str]] | None = None) -> tuple[Broker, list[tuple]]:
    events: list[tuple] = []
    log = PartitionLog(fsync=True)
    for epoch, message in entries or []:
        log.append(epoch, message)
    broker = Broker(config, broker_id, {0: log}, 1, 0,
                    lambda kind, **fields: events.append((kind, fields)))
    return broker, events


def _lead(broker: Broker, epoch: int, isr: tuple[int, ...] = (1, 2, 3),
          controller_epoch: int = 0) -> list[m.Msg]:
    return broker.step(m.LeaderAndIsr("controller", broker.name, controller_epoch, 0, 1, epoch,
                                      isr, epoch), 0)


# -- storage: the two OffsetsForLeaderEpoch answers ---------------------------------------


def test_end_offset_for_epoch_kip279_and_original() -> None:
    log = PartitionLog(fsync=True)
    for epoch, message in [(0, "a"), (0, "b"), (3, "c")]:
        log.append(epoch, message)
    assert log.epochs == [(0, 0), (3, 2)]
    # KIP-279: the largest known epoch <= the asked one, and where it ends.
    assert log.end_offset_for_epoch(0) == (0, 2)
    assert log.end_offset_for_epoch(2) == (0, 2)
    assert log.end_offset_for_epoch(3) == (3, 3)
    assert log.end_offset_for_epoch(9) == (3, 3)
    # Original KIP-101: claims the asked epoch, ending where the next larger one starts.
    assert log.end_offset_for_epoch_pre_kip279(2) == (2, 2)
    assert log.end_offset_for_epoch_pre_kip279(1) == (1, 2)
    assert log.end_offset_for_epoch_pre_kip279(3) == (3, 3)


def test_truncation_drops_later_epochs_and_power_loss_respects_fsync() -> None:
    log = PartitionLog(fsync=False)
    for epoch, message in [(0, "a"), (1, "b"), (2, "c")]:
        log.append(epoch, message)
    assert log.truncate(1) == 2
    assert (log.entries, log.epochs) == ([(0, "a")], [(0, 0)])
    assert log.power_loss() == 1
    assert (log.entries, log.epochs) == ([], [])
    synced = PartitionLog(fsync=True)
    synced.append(0, "a")
    assert synced.power_loss() == 0
    assert synced.entries == [(0, "a")]


# -- leader-side fencing (KIP-320) ---------------------------------------------------------


def test_fetch_with_stale_or_future_epoch_is_fenced() -> None:
    broker, _ = _broker(ClusterConfig(), entries=[(0, "a")])
    _lead(broker, epoch=3)
    stale = broker.step(m.Fetch("b2", "b1", 0, 2, 2, 0, corr=7), 1)
    future = broker.step(m.Fetch("b2", "b1", 0, 2, 4, 0, corr=8), 1)
    current = broker.step(m.Fetch("b2", "b1", 0, 2, 3, 0, corr=9), 1)
    assert [(r.error, r.corr) for r in stale] == [(m.FENCED_LEADER_EPOCH, 7)]
    assert [(r.error, r.corr) for r in future] == [(m.UNKNOWN_LEADER_EPOCH, 8)]
    assert [(r.error, r.records, r.base_offset) for r in current] == [(m.NONE, [(0, "a")], 0)]


def test_produce_with_stale_epoch_is_rejected_before_append() -> None:
    broker, _ = _broker(ClusterConfig())
    _lead(broker, epoch=2)
    out = broker.step(m.Produce("c0", "b1", 0, 1, "x", "all", corr=1), 1)
    assert [(r.error, r.appended) for r in out] == [(m.FENCED_LEADER_EPOCH, False)]
    assert broker.replicas[0].log.entries == []


def test_without_fencing_a_stale_fetch_is_served() -> None:
    config = get_flaw("no-fetch-fencing").apply(ClusterConfig())
    broker, _ = _broker(config, entries=[(0, "a")])
    _lead(broker, epoch=3)
    out = broker.step(m.Fetch("b2", "b1", 0, 2, 0, 0, corr=7), 1)
    assert [(r.error, r.records) for r in out] == [(m.NONE, [(0, "a")])]


def test_offsets_for_leader_epoch_answers() -> None:
    entries = [(0, "a"), (0, "b"), (2, "c")]
    for flaw, expected in ((None, (0, 2)), ("epoch-truncation-without-kip279", (1, 2))):
        config = ClusterConfig() if flaw is None else get_flaw(flaw).apply(ClusterConfig())
        broker, _ = _broker(config, entries=entries)
        _lead(broker, epoch=3)
        out = broker.step(m.OffsetsForLeaderEpoch("b2", "b1", 0, 2, 3, 1, corr=4), 1)
        assert [(r.error, r.epoch, r.end_offset) for r in out] == [(m.NONE, *expected)]


def test_leader_ignores_a_deposed_controller() -> None:
    broker, _ = _broker(ClusterConfig())
    _lead(broker, epoch=1, controller_epoch=2)
    # An older controller's (higher!) leader epoch naming another leader is ignored.
    broker.step(m.LeaderAndIsr("controller", "b1", 1, 0, 2, 5, (2, 3), 5), 1)
    assert broker.replicas[0].leader_epoch == 1
    assert broker.replicas[0].leader == 1


# -- follower truncation ------------------------------------------------------------------


def _follow(broker: Broker, leader: int, epoch: int) -> list[m.Msg]:
    return broker.step(m.LeaderAndIsr("controller", broker.name, 0, 0, leader, epoch,
                                      (1, 2, 3), epoch), 0)


def test_follower_truncates_by_epoch() -> None:
    # Follower b2 has [a/e0, c/e1]; the new leader (epoch 2) never had epoch 1.
    broker, events = _broker(ClusterConfig(), broker_id=2, entries=[(0, "a"), (1, "c")])
    out = _follow(broker, leader=3, epoch=2)
    assert [(type(r).__name__, r.requested_epoch) for r in out] == [("OffsetsForLeaderEpoch", 1)]
    # KIP-279 answer: epoch 0 is the largest <= 1 the leader knows, and it ends at offset 2.
    out = broker.step(m.OffsetsForLeaderEpochResponse("b3", "b2", 0, 2, m.NONE, 0, 2,
                                                      out[0].corr), 1)
    assert broker.replicas[0].log.entries == [(0, "a")]  # our epoch 0 ends at offset 1
    assert ("truncate", {"broker": 2, "partition": "orders-0", "offset": 1}) in events
    assert [(type(r).__name__, r.fetch_offset) for r in out] == [("Fetch", 1)]


def test_follower_asks_again_when_it_lacks_the_leaders_epoch() -> None:
    # Follower b2 has [a/e0, c/e2]; the leader answers with epoch 1, which b2 never had.
    broker, _ = _broker(ClusterConfig(), broker_id=2, entries=[(0, "a"), (2, "c")])
    out = _follow(broker, leader=3, epoch=3)
    out = broker.step(m.OffsetsForLeaderEpochResponse("b3", "b2", 0, 3, m.NONE, 1, 2,
                                                      out[0].corr), 1)
    assert broker.replicas[0].log.entries == [(0, "a")]  # cut to the end of its epoch 0
    assert [(type(r).__name__, r.requested_epoch) for r in out] == [("OffsetsForLeaderEpoch", 0)]
    out = broker.step(m.OffsetsForLeaderEpochResponse("b3", "b2", 0, 3, m.NONE, 0, 1,
                                                      out[0].corr), 2)
    assert [(type(r).__name__, r.fetch_offset) for r in out] == [("Fetch", 1)]
    # A late answer to an earlier request is ignored.
    assert broker.step(m.OffsetsForLeaderEpochResponse("b3", "b2", 0, 3, m.NONE, 0, 0, 1),
                       3) == []
    assert broker.replicas[0].log.entries == [(0, "a")]


def test_truncate_to_hw_flaw_skips_the_epoch_protocol() -> None:
    config = get_flaw("truncate-to-hw").apply(ClusterConfig())
    broker, _ = _broker(config, broker_id=2, entries=[(0, "a"), (0, "b")])
    broker.replicas[0].hw = 1
    out = _follow(broker, leader=1, epoch=1)
    assert broker.replicas[0].log.entries == [(0, "a")]
    assert [(type(r).__name__, r.fetch_offset) for r in out] == [("Fetch", 1)]


# -- controller ---------------------------------------------------------------------------


def _controller(config: ClusterConfig | None = None) -> tuple[Controller, list[tuple]]:
    events: list[tuple] = []
    config = config or ClusterConfig()
    controller = Controller(config, MetadataStore(config), 0,
                            lambda kind, **fields: events.append((kind, fields)))
    return controller, events


def test_alter_isr_is_fenced_by_leader_and_partition_epoch() -> None:
    controller, _ = _controller()
    ok = controller.step(m.AlterIsr("b1", "controller", 1, 0, 0, 0, (1, 2)), 1)
    assert [(r.error, r.isr, r.partition_epoch) for r in ok] == [(m.NONE, (1, 2), 1)]
    stale_version = controller.step(m.AlterIsr("b1", "controller", 1, 0, 0, 0, (1,)), 2)
    assert [(r.error, r.isr) for r in stale_version] == [(m.INVALID_UPDATE_VERSION, (1, 2))]
    not_leader = controller.step(m.AlterIsr("b2", "controller", 2, 0, 0, 1, (2,)), 3)
    assert [r.error for r in not_leader] == [m.FENCED_LEADER_EPOCH]


def test_session_timeout_elects_first_live_isr_member() -> None:
    controller, events = _controller()
    for b in (2, 3):
        controller.step(m.Heartbeat(f"b{b}", "controller", b, 1, (0,)), 70)
    out = controller.tick(81)  # broker 1 silent since t=0
    p = controller.store.partitions[0]
    assert (p.leader, p.leader_epoch, p.isr) == (2, 1, (2, 3))
    assert sorted(r.dst for r in out) == ["b1", "b2", "b3"]
    assert events[-1] == ("leader", {"partition": "orders-0", "leader": 2, "leader_epoch": 1,
                                     "isr": [2, 3]})


def test_restart_within_session_moves_leadership() -> None:
    controller, _ = _controller()
    controller.step(m.Heartbeat("b1", "controller", 1, 1, (0,)), 10)
    controller.step(m.Heartbeat("b1", "controller", 1, 2, (-1,)), 20)  # new incarnation
    p = controller.store.partitions[0]
    assert (p.leader, p.leader_epoch, p.isr) == (2, 1, (1, 2, 3))
