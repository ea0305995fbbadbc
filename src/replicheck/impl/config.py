"""`ClusterConfig`: every knob of the simulated cluster, frozen and JSON-round-trippable.

The defaults are the *correct* configuration (RF 3, min ISR 2, acks=all, clean elections,
leader epochs with fencing, fsync on every append). Timings are deliberately small so that
failure detection, ISR shrinks and elections happen within a few hundred simulated ms: the
campaign needs interesting interleavings after a handful of ticks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

ACKS_VALUES = ("0", "1", "all")
# The OS writes dirty pages back within ~30 s (vm.dirty_expire_centisecs) while Kafka detects a
# dead broker in 18-45 s; the model detects one in 80 ms, so write-back scales to a few hundred
# ms. It must outlast an ISR shrink, as in Kafka: an acknowledged record can still be unflushed
# on the last ISR member when the others have left the ISR (KIP-966's motivating case).
PAGE_CACHE_FLUSH_MS = 300
# Kafka's producer default since 2.1: retry until delivery.timeout.ms.
RETRIES_MAX = 2**31 - 1
FLUSH_VALUES = ("every-append", "interval", "none")
# KIP-966 unclean recovery when ISR and ELR are both empty (see impl/elr.py).
UNCLEAN_RECOVERY_VALUES = ("balanced", "last-known-leader")


@dataclass(frozen=True)
class ClusterConfig:
    """The shape, guarantees and timings of one simulated cluster."""

    broker_count: int = 3
    topic: str = "orders"
    partition_count: int = 1
    replication_factor: int = 3
    min_insync_replicas: int = 2
    acks: str = "all"
    unclean_leader_election: bool = False
    flush: str = "every-append"
    # With flush="interval": every broker fsyncs all its logs this often (log.flush.interval.ms,
    # or the OS writing back dirty pages); a power loss drops only what came since.
    flush_interval_ms: int = 50
    # Timings, all in simulated milliseconds.
    replica_lag_time_max_ms: int = 100
    session_timeout_ms: int = 80
    heartbeat_interval_ms: int = 20
    fetch_interval_ms: int = 10
    request_timeout_ms: int = 300
    network_delay_ms: int = 1
    # Producer (KIP-98). retries=0 is the original model: one attempt per send, so a send
    # completes within request_timeout_ms. With retries a send is retried after a retriable
    # error or an attempt timeout, every retry_backoff_ms, until delivery_timeout_ms after
    # the send began. Each process has one send outstanding; `producer_threads` processes
    # share one producer instance (one connection per broker, as an application's threads
    # share one KafkaProducer), which keeps up to max_in_flight_requests_per_connection of
    # their batches in flight per broker (idempotence allows <= 5, the leader's dedup
    # window, as Kafka's config check does). 1: a producer per process (the original model).
    retries: int = 0
    delivery_timeout_ms: int = 1200
    retry_backoff_ms: int = 10
    max_in_flight_requests_per_connection: int = 5
    producer_threads: int = 1
    enable_idempotence: bool = False
    # KRaft broker registration epochs (KIP-380, KIP-841, KIP-903): every broker start
    # registers a new epoch; LeaderAndIsr, Fetch and AlterIsr carry it; the controller
    # rejects ISR additions from a stale incarnation and removes a rebooted broker from
    # every ISR. Off: the original model (a quick reboot keeps the broker in the ISR).
    broker_epochs: bool = False
    # Eligible Leader Replicas (KIP-966, eligible.leader.replicas.version=1; Kafka 4.0+): the
    # HW advances only while the ISR has >= min_insync_replicas members, the ISR may empty,
    # replicas that leave it below the minimum become eligible leaders (ELR), a broker that
    # restarts (an unclean shutdown: the model has no controlled shutdown) leaves ISR and
    # ELR, and with ISR and ELR empty the partition is recovered by `unclean_recovery`.
    # Needs broker_epochs (the controller detects a restart by its new registration).
    # Off: the pre-4.0 protocol (the ISR never empties; its last member is re-elected).
    elr: bool = False
    unclean_recovery: str = "balanced"
    # Bounds on work per request (every loop has a stated bound).
    max_fetch_records: int = 64
    max_poll_records: int = 100
    flaws: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Accept any iterable of flaw names (e.g. a list from JSON) but store a frozenset.
        if not isinstance(self.flaws, frozenset):
            object.__setattr__(self, "flaws", frozenset(self.flaws))
        problems = self.problems()
        if problems:
            raise ValueError("invalid ClusterConfig: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """Every reason this configuration cannot run (empty when valid)."""
        out = []
        if self.broker_count < 1:
            out.append("broker_count must be >= 1")
        if not 1 <= self.replication_factor <= self.broker_count:
            out.append("replication_factor must be between 1 and broker_count")
        if self.partition_count < 1:
            out.append("partition_count must be >= 1")
        if not self.min_insync_replicas >= 1:
            out.append("min_insync_replicas must be >= 1")
        if self.acks not in ACKS_VALUES:
            out.append(f"acks must be one of {', '.join(ACKS_VALUES)}")
        if self.flush not in FLUSH_VALUES:
            out.append(f"flush must be one of {', '.join(FLUSH_VALUES)}")
        if self.unclean_recovery not in UNCLEAN_RECOVERY_VALUES:
            out.append(f"unclean_recovery must be one of {', '.join(UNCLEAN_RECOVERY_VALUES)}")
        if self.elr and not self.broker_epochs:
            out.append(
                "elr requires broker_epochs (unclean shutdowns are detected at registration)"
            )
        for name in (
            "replica_lag_time_max_ms",
            "session_timeout_ms",
            "heartbeat_interval_ms",
            "fetch_interval_ms",
            "request_timeout_ms",
            "network_delay_ms",
            "flush_interval_ms",
            "delivery_timeout_ms",
            "retry_backoff_ms",
            "max_in_flight_requests_per_connection",
            "producer_threads",
            "max_fetch_records",
            "max_poll_records",
        ):
            if getattr(self, name) < 1:
                out.append(f"{name} must be >= 1")
        out.extend(self._producer_problems())
        if not self.topic or any(ch.isspace() for ch in self.topic):
            out.append("topic must be non-empty and contain no whitespace")
        from replicheck.impl.flags import KNOWN_FLAGS  # local: flags imports nothing back

        unknown = sorted(set(self.flaws) - KNOWN_FLAGS)
        if unknown:
            out.append(f"unknown flaw flag(s): {', '.join(unknown)}")
        return out

    def _producer_problems(self) -> list[str]:
        """Kafka's producer config checks (ProducerConfig) for retries and idempotence."""
        out = []
        if self.retries < 0:
            out.append("retries must be >= 0")
        if self.retries > 0 and self.delivery_timeout_ms < self.request_timeout_ms:
            out.append("delivery_timeout_ms must be >= request_timeout_ms when retrying")
        if self.enable_idempotence:
            if self.acks != "all":
                out.append("enable_idempotence requires acks=all")
            if self.retries < 1:
                out.append("enable_idempotence requires retries >= 1")
            if self.max_in_flight_requests_per_connection > 5:
                out.append("enable_idempotence requires max_in_flight_requests_per_connection <= 5")
        return out

    @property
    def at_least_once(self) -> bool:
        """Retries without idempotence: a retry after a lost response writes the record
        again, which Kafka allows (the producer promises at-least-once only)."""
        return self.retries > 0 and not self.enable_idempotence

    def with_flaws(self, *names: str) -> ClusterConfig:
        """A copy with extra behaviour flags switched on."""
        return replace(self, flaws=self.flaws | frozenset(names))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (flaws as a sorted list)."""
        out = asdict(self)
        out["flaws"] = sorted(self.flaws)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterConfig:
        """Inverse of `to_dict`; unknown keys are an error, missing keys take defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown ClusterConfig field(s): {', '.join(unknown)}")
        kwargs = dict(data)
        if "flaws" in kwargs:
            kwargs["flaws"] = frozenset(kwargs["flaws"])
        return cls(**kwargs)

    def partition_key(self, index: int) -> str:
        """History key of partition `index`, e.g. "orders-0"."""
        return f"{self.topic}-{index}"

    def replicas_of(self, index: int) -> tuple[int, ...]:
        """Replica assignment, preferred leader first (round-robin like Kafka's default)."""
        n = self.broker_count
        return tuple((index + i) % n + 1 for i in range(self.replication_factor))


def idempotent_producer(config: ClusterConfig) -> ClusterConfig:
    """Kafka's producer defaults since 3.0: enable.idempotence=true, retries=MAX_INT (bounded
    by delivery.timeout.ms), acks=all. A correct configuration."""
    return replace(config, acks="all", retries=RETRIES_MAX, enable_idempotence=True)


def eligible_leader_replicas(config: ClusterConfig) -> ClusterConfig:
    """Kafka 4.x's replication without fsync: ELR on (KIP-966), broker epochs, the idempotent
    producer, and the OS's write-back (`flush="interval"`, `PAGE_CACHE_FLUSH_MS`) instead of an
    fsync per append. A correct configuration: it tolerates min_insync_replicas - 1 brokers
    losing their unflushed suffix until an unclean recovery election (KIP-966's promise; the
    campaign keeps within it, see elr.py)."""
    return replace(
        idempotent_producer(config),
        flush="interval",
        flush_interval_ms=PAGE_CACHE_FLUSH_MS,
        broker_epochs=True,
        elr=True,
    )


def pre_elr_without_fsync(config: ClusterConfig) -> ClusterConfig:
    """The same cluster with the pre-4.0 protocol (ELR off): KIP-966's motivating case."""
    return replace(eligible_leader_replicas(config), elr=False)


def at_least_once_producer(config: ClusterConfig) -> ClusterConfig:
    """Retries without idempotence (Kafka 2.x defaults): correct, and duplicates are allowed."""
    return replace(config, retries=RETRIES_MAX, enable_idempotence=False)
