"""Names of the behaviour switches the protocol code checks (the flaw zoo turns them on).

Kept apart from `zoo.py` so that the state machines can import the names without importing
the zoo's prose, and so `ClusterConfig` can reject unknown names.
"""

from __future__ import annotations

# Switches that change protocol code paths.
TRUNCATE_TO_HW = "truncate-to-hw"
NO_KIP279 = "epoch-truncation-without-kip279"
NO_FETCH_FENCING = "no-fetch-fencing"
IGNORE_MIN_ISR = "ignore-min-isr"
ELECT_ANY_REPLICA = "elect-any-replica"
HW_BEFORE_ISR_ACK = "hw-before-isr-ack"
CONSUMER_READS_PAST_HW = "consumer-reads-past-hw"
EPOCH_CACHE_NOT_CLEANED = "epoch-cache-not-cleaned"
ISR_EXPAND_BEFORE_EPOCH_START = "isr-expand-before-epoch-start"
NO_TRUNCATION_SAME_LEADER = "no-truncation-same-leader"
HW_OVER_COMMITTED_ISR = "hw-over-committed-isr"
LAZY_TRUNCATION = "lazy-truncation"
NO_IDEMPOTENT_DEDUP = "no-idempotent-dedup"
DEDUP_STATE_LOST_ON_FAILOVER = "dedup-state-lost-on-failover"
STALE_BROKER_EPOCH_JOINS_ISR = "stale-broker-epoch-joins-isr"
STALE_FETCH_EXPANDS_ISR = "stale-fetch-expands-isr"
REBOOTED_BROKER_STAYS_IN_ISR = "rebooted-broker-stays-in-isr"

# Flaws that are pure configuration (acks, election, flush); listed so the label is legal.
UNCLEAN_ELECTION = "unclean-election"
ACKS_ONE = "acks-one"
NO_FSYNC = "no-fsync"
LAST_REPLICA_STANDING = "last-replica-standing"

KNOWN_FLAGS = frozenset(
    {
        TRUNCATE_TO_HW,
        NO_KIP279,
        NO_FETCH_FENCING,
        IGNORE_MIN_ISR,
        ELECT_ANY_REPLICA,
        HW_BEFORE_ISR_ACK,
        CONSUMER_READS_PAST_HW,
        EPOCH_CACHE_NOT_CLEANED,
        ISR_EXPAND_BEFORE_EPOCH_START,
        NO_TRUNCATION_SAME_LEADER,
        HW_OVER_COMMITTED_ISR,
        LAZY_TRUNCATION,
        NO_IDEMPOTENT_DEDUP,
        DEDUP_STATE_LOST_ON_FAILOVER,
        STALE_BROKER_EPOCH_JOINS_ISR,
        STALE_FETCH_EXPANDS_ISR,
        REBOOTED_BROKER_STAYS_IN_ISR,
        UNCLEAN_ELECTION,
        ACKS_ONE,
        NO_FSYNC,
        LAST_REPLICA_STANDING,
    }
)
