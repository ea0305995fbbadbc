"""Every message the simulated nodes exchange.

Plain `__slots__` classes (the simulation creates millions of these; dataclass machinery
and per-instance dicts would dominate the profile). `src` / `dst` are node names:
"b1".. brokers, "c0".. clients, "controller". Requests carry a correlation id (`corr`) that
the response echoes, so a node can drop responses to requests it no longer waits for
(e.g. a fetch response from before a leader change).
"""

from __future__ import annotations

# Error names, as Kafka spells them.
NONE = ""
NOT_LEADER_OR_FOLLOWER = "NOT_LEADER_OR_FOLLOWER"
FENCED_LEADER_EPOCH = "FENCED_LEADER_EPOCH"
UNKNOWN_LEADER_EPOCH = "UNKNOWN_LEADER_EPOCH"
NOT_ENOUGH_REPLICAS = "NOT_ENOUGH_REPLICAS"
NOT_ENOUGH_REPLICAS_AFTER_APPEND = "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
REQUEST_TIMED_OUT = "REQUEST_TIMED_OUT"
LEADER_NOT_AVAILABLE = "LEADER_NOT_AVAILABLE"
OFFSET_OUT_OF_RANGE = "OFFSET_OUT_OF_RANGE"
INVALID_UPDATE_VERSION = "INVALID_UPDATE_VERSION"
STALE_CONTROLLER_EPOCH = "STALE_CONTROLLER_EPOCH"
STALE_BROKER_EPOCH = "STALE_BROKER_EPOCH"  # KIP-903: an ISR addition from a past incarnation
INELIGIBLE_REPLICA = "INELIGIBLE_REPLICA"  # KIP-841: an ISR addition of a fenced broker
LOG_TRUNCATION = "LOG_TRUNCATION"  # Kip320FirstTry: the fetch's last epoch does not match
# Idempotent producer (KIP-98).
OUT_OF_ORDER_SEQUENCE_NUMBER = "OUT_OF_ORDER_SEQUENCE_NUMBER"
INVALID_PRODUCER_EPOCH = "INVALID_PRODUCER_EPOCH"
UNKNOWN_PRODUCER_ID = "UNKNOWN_PRODUCER_ID"

UNDEFINED_EPOCH = -1

# A log entry: (leader epoch, message), or (leader epoch, message, (producer id, producer
# epoch, sequence)) for an idempotent producer's record (KIP-98); the offset is its index.
Producer = tuple[int, int, int]
Entry = tuple[int, str] | tuple[int, str, Producer]
# A record as a consumer receives it: [offset, message].
ConsumerRecord = list[int | str]


class Msg:
    """Base: every message has a sender and a receiver."""

    __slots__ = ("dst", "src")
    src: str
    dst: str

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _all_slots(type(self)))
        return f"{type(self).__name__}({fields})"


def _all_slots(cls: type) -> list[str]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        names.extend(getattr(klass, "__slots__", ()))
    return names


# --- controller -> broker ---------------------------------------------------------------


class LeaderAndIsr(Msg):
    """The controller's committed state of one partition (Kafka's LeaderAndIsr request)."""

    __slots__ = (
        "broker_epoch",
        "controller_epoch",
        "isr",
        "leader",
        "leader_epoch",
        "partition",
        "partition_epoch",
    )

    def __init__(
        self,
        src: str,
        dst: str,
        controller_epoch: int,
        partition: int,
        leader: int,
        leader_epoch: int,
        isr: tuple[int, ...],
        partition_epoch: int,
        broker_epoch: int = -1,
    ) -> None:
        self.src = src
        self.dst = dst
        self.controller_epoch = controller_epoch
        self.partition = partition
        self.leader = leader
        self.leader_epoch = leader_epoch
        self.isr = isr
        self.partition_epoch = partition_epoch
        # With broker epochs: the recipient's registration as the controller knows it
        # (KIP-380); a broker ignores state addressed to another incarnation of itself.
        self.broker_epoch = broker_epoch


class GetReplicaLogInfo(Msg):
    """KIP-966's unclean recovery asks a replica for its log: addressed to the broker epoch
    the controller has registered for it, ignored by any other incarnation (KIP-380)."""

    __slots__ = ("broker_epoch", "corr", "partition")

    def __init__(self, src: str, dst: str, partition: int, broker_epoch: int, corr: int) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.broker_epoch = broker_epoch
        self.corr = corr


# --- broker -> controller ---------------------------------------------------------------


class Heartbeat(Msg):
    """Liveness plus the partition epochs the broker knows, so the controller can resend
    state the broker missed (lost LeaderAndIsr, restart with empty memory)."""

    __slots__ = ("broker", "incarnation", "known")

    def __init__(
        self, src: str, dst: str, broker: int, incarnation: int, known: tuple[int, ...]
    ) -> None:
        self.src = src
        self.dst = dst
        self.broker = broker
        self.incarnation = incarnation
        self.known = known


class GetReplicaLogInfoResponse(Msg):
    """The replica's (latest leader epoch, LEO) as this incarnation holds them now."""

    __slots__ = ("broker", "corr", "incarnation", "last_epoch", "leo", "partition")

    def __init__(
        self,
        src: str,
        dst: str,
        broker: int,
        incarnation: int,
        partition: int,
        last_epoch: int,
        leo: int,
        corr: int,
    ) -> None:
        self.src = src
        self.dst = dst
        self.broker = broker
        self.incarnation = incarnation
        self.partition = partition
        self.last_epoch = last_epoch
        self.leo = leo
        self.corr = corr


class AlterIsr(Msg):
    """A leader asks the controller to commit a new ISR (KIP-497 AlterPartition)."""

    __slots__ = (
        "broker",
        "leader_epoch",
        "member_epochs",
        "new_isr",
        "partition",
        "partition_epoch",
    )

    def __init__(
        self,
        src: str,
        dst: str,
        broker: int,
        partition: int,
        leader_epoch: int,
        partition_epoch: int,
        new_isr: tuple[int, ...],
        member_epochs: tuple[int, ...] = (),
    ) -> None:
        self.src = src
        self.dst = dst
        self.broker = broker
        self.partition = partition
        self.leader_epoch = leader_epoch
        self.partition_epoch = partition_epoch
        self.new_isr = new_isr
        # KIP-903 (NewIsrWithEpochs): each member's broker epoch as the leader saw it in
        # that member's fetches, aligned with new_isr; empty without broker epochs.
        self.member_epochs = member_epochs


class AlterIsrResponse(Msg):
    """Result plus the controller's current state (so a leader that missed an update can
    resynchronise from a rejection)."""

    __slots__ = (
        "controller_epoch",
        "error",
        "isr",
        "leader",
        "leader_epoch",
        "partition",
        "partition_epoch",
    )

    def __init__(
        self,
        src: str,
        dst: str,
        controller_epoch: int,
        partition: int,
        error: str,
        leader: int,
        leader_epoch: int,
        isr: tuple[int, ...],
        partition_epoch: int,
    ) -> None:
        self.src = src
        self.dst = dst
        self.controller_epoch = controller_epoch
        self.partition = partition
        self.error = error
        self.leader = leader
        self.leader_epoch = leader_epoch
        self.isr = isr
        self.partition_epoch = partition_epoch


# --- broker <-> broker ------------------------------------------------------------------


class Fetch(Msg):
    """Follower fetch: `fetch_offset` is the follower's LEO (how the leader learns it)."""

    __slots__ = (
        "broker_epoch",
        "corr",
        "fetch_offset",
        "last_epoch",
        "leader_epoch",
        "partition",
        "replica_id",
    )

    def __init__(
        self,
        src: str,
        dst: str,
        partition: int,
        replica_id: int,
        leader_epoch: int,
        fetch_offset: int,
        corr: int,
        broker_epoch: int = -1,
        last_epoch: int = -1,
    ) -> None:
        # lazy-truncation flaw (Kip320FirstTry): the epoch of the follower's record at
        # fetch_offset - 1, which the leader checks instead of a truncation before fetching.
        self.last_epoch = last_epoch
        self.src = src
        self.dst = dst
        self.partition = partition
        self.replica_id = replica_id
        self.leader_epoch = leader_epoch
        self.fetch_offset = fetch_offset
        self.broker_epoch = broker_epoch  # KIP-903: the fetching incarnation
        self.corr = corr


class FetchResponse(Msg):
    """Records from `base_offset` as (leader_epoch, message) pairs, and the leader's HW."""

    __slots__ = ("base_offset", "corr", "error", "hw", "leader_epoch", "partition", "records")

    def __init__(
        self,
        src: str,
        dst: str,
        partition: int,
        leader_epoch: int,
        error: str,
        base_offset: int,
        records: list[Entry],
        hw: int,
        corr: int,
    ) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.leader_epoch = leader_epoch
        self.error = error
        self.base_offset = base_offset
        self.records = records
        self.hw = hw
        self.corr = corr


class OffsetsForLeaderEpoch(Msg):
    """KIP-101: 'where does epoch `requested_epoch` end in your log?'"""

    __slots__ = ("corr", "leader_epoch", "partition", "replica_id", "requested_epoch")

    def __init__(
        self,
        src: str,
        dst: str,
        partition: int,
        replica_id: int,
        leader_epoch: int,
        requested_epoch: int,
        corr: int,
    ) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.replica_id = replica_id
        self.leader_epoch = leader_epoch
        self.requested_epoch = requested_epoch
        self.corr = corr


class OffsetsForLeaderEpochResponse(Msg):
    """(epoch, end_offset): with KIP-279 `epoch` is the largest epoch <= the requested one
    that the leader knows; UNDEFINED_EPOCH when it knows none."""

    __slots__ = ("corr", "end_offset", "epoch", "error", "leader_epoch", "partition")

    def __init__(
        self,
        src: str,
        dst: str,
        partition: int,
        leader_epoch: int,
        error: str,
        epoch: int,
        end_offset: int,
        corr: int,
    ) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.leader_epoch = leader_epoch
        self.error = error
        self.epoch = epoch
        self.end_offset = end_offset
        self.corr = corr


# --- client <-> broker / controller ------------------------------------------------------


class Produce(Msg):
    """`producer` is (producer id, producer epoch, sequence) for an idempotent producer's
    batch (KIP-98), None otherwise."""

    __slots__ = ("acks", "corr", "leader_epoch", "message", "partition", "producer")

    def __init__(
        self,
        src: str,
        dst: str,
        partition: int,
        leader_epoch: int,
        message: str,
        acks: str,
        corr: int,
        producer: tuple[int, int, int] | None = None,
    ) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.leader_epoch = leader_epoch
        self.message = message
        self.acks = acks
        self.corr = corr
        self.producer = producer


class ProduceResponse(Msg):
    """`appended` tells the client whether an error came before the append (definite
    failure) or after it (outcome unknown)."""

    __slots__ = ("appended", "corr", "error", "offset", "partition")

    def __init__(
        self, src: str, dst: str, partition: int, error: str, offset: int, appended: bool, corr: int
    ) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.error = error
        self.offset = offset
        self.appended = appended
        self.corr = corr


class ConsumerFetch(Msg):
    __slots__ = ("corr", "leader_epoch", "max_records", "offset", "partition")

    def __init__(
        self,
        src: str,
        dst: str,
        partition: int,
        leader_epoch: int,
        offset: int,
        max_records: int,
        corr: int,
    ) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.leader_epoch = leader_epoch
        self.offset = offset
        self.max_records = max_records
        self.corr = corr


class ConsumerFetchResponse(Msg):
    __slots__ = ("corr", "error", "offset", "partition", "records")

    def __init__(
        self,
        src: str,
        dst: str,
        partition: int,
        error: str,
        offset: int,
        records: list[ConsumerRecord],
        corr: int,
    ) -> None:
        self.src = src
        self.dst = dst
        self.partition = partition
        self.error = error
        self.offset = offset
        self.records = records  # [offset, message] lists, JSON-ready
        self.corr = corr


class InitProducerId(Msg):
    """An idempotent producer asks for a producer id (KIP-98; here the controller hands out
    ids from the metadata store, as KRaft's producer-id blocks do)."""

    __slots__ = ("corr",)

    def __init__(self, src: str, dst: str, corr: int) -> None:
        self.src = src
        self.dst = dst
        self.corr = corr


class InitProducerIdResponse(Msg):
    __slots__ = ("corr", "producer_epoch", "producer_id")

    def __init__(
        self, src: str, dst: str, producer_id: int, producer_epoch: int, corr: int
    ) -> None:
        self.src = src
        self.dst = dst
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.corr = corr


class MetadataRequest(Msg):
    __slots__ = ("corr",)

    def __init__(self, src: str, dst: str, corr: int) -> None:
        self.src = src
        self.dst = dst
        self.corr = corr


class MetadataResponse(Msg):
    """(leader, leader_epoch) per partition index, as the controller knows it."""

    __slots__ = ("corr", "partitions")

    def __init__(
        self, src: str, dst: str, partitions: tuple[tuple[int, int], ...], corr: int
    ) -> None:
        self.src = src
        self.dst = dst
        self.partitions = partitions
        self.corr = corr
