"""Volatile per-partition state of one broker (lost on crash; the log is not, see storage)."""

from __future__ import annotations

from replicheck.impl.messages import Fetch
from replicheck.impl.producer_state import ProducerState
from replicheck.impl.storage import PartitionLog

ROLE_NONE = 0
ROLE_LEADER = 1
ROLE_FOLLOWER = 2

# Follower fetcher states.
FETCHER_IDLE = 0  # waiting until `next_action_ms` (backoff, or no leader)
FETCHER_TRUNCATING = 1  # OffsetsForLeaderEpoch in flight
FETCHER_FETCHING = 2  # Fetch in flight

INF_MS = 1 << 62


class Waiter:
    """An acks=all produce waiting for the HW to pass its offset."""

    __slots__ = ("client", "corr", "deadline_ms", "offset")

    def __init__(self, offset: int, client: str, corr: int, deadline_ms: int) -> None:
        self.offset = offset
        self.client = client
        self.corr = corr
        self.deadline_ms = deadline_ms


class Replica:
    """One broker's view of one partition: role, leader epoch, ISR and role-specific state."""

    __slots__ = (
        "epoch_start",
        "f_broker_epoch",
        "f_caught_ms",
        "f_last_fetch_leo",
        "f_last_fetch_ms",
        "f_leo",
        "fetcher",
        "hw",
        "index",
        "inflight_corr",
        "inflight_deadline_ms",
        "isr",
        "key",
        "leader",
        "leader_epoch",
        "log",
        "need_truncation",
        "next_action_ms",
        "parked",
        "partition_epoch",
        "pending_base_pe",
        "pending_epochs",
        "pending_isr",
        "pending_resend_ms",
        "producers",
        "replicas",
        "role",
        "waiters",
    )

    def __init__(self, index: int, key: str, replicas: tuple[int, ...], log: PartitionLog) -> None:
        self.index = index
        self.key = key
        self.replicas = replicas
        self.log = log
        self.role = ROLE_NONE
        self.leader = -1
        self.leader_epoch = -1
        self.partition_epoch = -1
        self.isr: tuple[int, ...] = ()
        # Restart: the HW comes back from its checkpoint (never past the surviving log).
        self.hw = min(log.hw_checkpoint, log.leo)
        # Leader state.
        self.epoch_start = 0
        self.f_leo: dict[int, int] = {}
        self.f_caught_ms: dict[int, int] = {}
        self.f_last_fetch_leo: dict[int, int] = {}
        self.f_last_fetch_ms: dict[int, int] = {}
        self.pending_isr: tuple[int, ...] | None = None
        # Broker epochs (KIP-903): each follower's epoch from its fetches, and the member
        # epochs a pending proposal was made with (fixed at proposal time).
        self.f_broker_epoch: dict[int, int] = {}
        self.pending_epochs: tuple[int, ...] = ()
        self.producers = ProducerState()  # idempotent producers (leader only; KIP-98)
        self.pending_base_pe = -1
        self.pending_resend_ms = INF_MS
        self.waiters: list[Waiter] = []
        self.parked: list[tuple[Fetch, int]] = []  # (Fetch, deadline_ms)
        # Follower state.
        self.fetcher = FETCHER_IDLE
        self.need_truncation = False
        self.inflight_corr = -1
        self.inflight_deadline_ms = INF_MS
        self.next_action_ms = INF_MS

    def maximal_isr(self) -> tuple[int, ...]:
        """ISR for HW purposes: committed plus pending additions (KIP-497), so an expansion
        in flight already counts and a shrink in flight does not yet."""
        pending = self.pending_isr
        if pending is None:
            return self.isr
        return self.isr + tuple(b for b in pending if b not in self.isr)
