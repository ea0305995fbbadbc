"""The flaw zoo: named switches that re-introduce real, historical replication flaws.

Each `Flaw.apply(config)` returns a copy of the configuration with the flaw switched on
(and its name in `config.flaws`, so reports can say which flaw a run had). A flaw is either
a protocol switch the state machines check (see `flags.py`) or a configuration Kafka
shipped or allows (acks=1, unclean election, no fsync). The correct configuration must
never violate; the campaign must find every flaw here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from replicheck.impl import flags
from replicheck.impl.config import ClusterConfig, idempotent_producer, pre_elr_without_fsync


@dataclass(frozen=True)
class Flaw:
    name: str
    title: str
    description: str
    source: str
    apply: Callable[[ClusterConfig], ClusterConfig]

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": self.source,
        }


Change = Callable[[ClusterConfig], ClusterConfig]


def _flag(name: str, change: Change | None = None) -> Change:
    """Switch on flag `name`, after applying the configuration `change` the flaw needs."""

    def apply(config: ClusterConfig) -> ClusterConfig:
        base = config if change is None else change(config)
        return replace(base, flaws=base.flaws | {name})

    return apply


def _broker_epochs(config: ClusterConfig) -> ClusterConfig:
    return replace(config, broker_epochs=True)


def _idempotent_flag(name: str) -> Callable[[ClusterConfig], ClusterConfig]:
    """A producer-side flaw lives in Kafka's default producer: idempotent, retrying."""

    def apply(config: ClusterConfig) -> ClusterConfig:
        return _flag(name, idempotent_producer)(config)

    return apply


_FLAWS = [
    Flaw(
        name=flags.TRUNCATE_TO_HW,
        title="Followers truncate to their own high watermark (pre-KIP-101)",
        description=(
            "Before leader epochs, a replica that restarted or became a follower truncated its "
            "log to its own high watermark and re-fetched from there. A follower learns the HW "
            "only from the next fetch response, so its HW lags the leader's: a record the "
            "leader already acknowledged can be cut from a follower that then becomes leader "
            "(lost acknowledged write), or two replicas end up with different records at one "
            "offset (divergence) after a fast double failure."
        ),
        source=(
            "KIP-101: Alter Replication Protocol to use Leader Epoch rather than High "
            "Watermark for Truncation (Kafka 0.11); KAFKA-1211"
        ),
        apply=_flag(flags.TRUNCATE_TO_HW),
    ),
    Flaw(
        name=flags.NO_KIP279,
        title="Leader-epoch truncation without the KIP-279 fix",
        description=(
            "The first OffsetsForLeaderEpoch protocol: the leader answers 'where does epoch E "
            "end?' with the start of its first epoch larger than E, even when it never had "
            "epoch E. After fast successive leader changes a follower whose last epoch the new "
            "leader never saw keeps records of that epoch at offsets where the leader has "
            "records of an older epoch, then fetches on top: the replicas diverge and a later "
            "election can expose or lose records."
        ),
        source=(
            "KIP-279: Fix log divergence between leader and follower after fast leader "
            "fail over (Kafka 2.0); KAFKA-6361"
        ),
        apply=_flag(flags.NO_KIP279),
    ),
    Flaw(
        name=flags.NO_FETCH_FENCING,
        title="Fetch requests are not fenced by leader epoch (pre-KIP-320)",
        description=(
            "Fetch, OffsetsForLeaderEpoch and produce requests carry no usable leader epoch. A "
            "replica that missed a leadership change keeps fetching from the broker it believes "
            "leads; when that broker leads again in a later epoch it serves the stale follower, "
            "which appends on top of records the leader truncated long ago without re-running "
            "truncation. The follower rejoins the ISR with a divergent log and can later be "
            "elected, losing acknowledged writes."
        ),
        source=(
            "KIP-320: Allow fetchers to detect and handle log truncation (Kafka 2.1); KAFKA-6880"
        ),
        apply=_flag(flags.NO_FETCH_FENCING),
    ),
    Flaw(
        name=flags.UNCLEAN_ELECTION,
        title="Unclean leader election enabled",
        description=(
            "unclean.leader.election.enable=true: when no ISR member is alive, the controller "
            "makes an out-of-sync replica leader to restore availability. Everything the ISR "
            "acknowledged beyond that replica's log end is silently discarded when the old "
            "ISR members come back and truncate to the new leader."
        ),
        source=(
            "Kafka configuration unclean.leader.election.enable (default true until 0.11, "
            "KIP-106); Jepsen: Kafka (Kyle Kingsbury, 2013)"
        ),
        apply=_flag(flags.UNCLEAN_ELECTION, lambda c: replace(c, unclean_leader_election=True)),
    ),
    Flaw(
        name=flags.ACKS_ONE,
        title="acks=1: acknowledged once the leader has appended",
        description=(
            "With acks=1 the leader acknowledges a write as soon as it is in its own log. If "
            "the leader then fails before any follower fetched the record, a follower becomes "
            "leader without it and the old leader truncates it on return: an acknowledged "
            "write is lost with nothing but a single broker failure."
        ),
        source="Kafka producer configuration acks (documentation: 'acks=1 ... data loss'); "
        "Jepsen: Kafka (2013)",
        apply=_flag(flags.ACKS_ONE, lambda c: replace(c, acks="1")),
    ),
    Flaw(
        name=flags.IGNORE_MIN_ISR,
        title="min.insync.replicas ignored (Kafka 0.8 defaults)",
        description=(
            "acks=all is acknowledged even when the ISR has shrunk to the leader alone, as in "
            "Kafka 0.8 where min.insync.replicas did not exist and unclean election was the "
            "default. Once followers fall out of the ISR the leader acknowledges writes that "
            "only it holds; when it then fails, an out-of-sync replica takes over and those "
            "writes are gone."
        ),
        source=(
            "Jepsen: Kafka (Kyle Kingsbury, 2013), the lost-writes scenario; KAFKA-1555 "
            "(min.insync.replicas, Kafka 0.8.2)"
        ),
        apply=_flag(flags.IGNORE_MIN_ISR, lambda c: replace(c, unclean_leader_election=True)),
    ),
    Flaw(
        name=flags.NO_FSYNC,
        title="No fsync: Kafka's default flush policy under correlated power loss",
        description=(
            "Kafka acknowledges writes that are only in the page cache of each replica and "
            "relies on replication instead of fsync. A power loss that hits replicas together "
            "(or hits one replica that restarts quickly enough to stay in the ISR and is then "
            "elected) loses records every replica acknowledged."
        ),
        source=(
            "KIP-966: Eligible Leader Replicas (problem statement: unclean shutdowns and "
            "data loss without fsync); Kafka log.flush.interval.messages default"
        ),
        apply=_flag(flags.NO_FSYNC, lambda c: replace(c, flush="none")),
    ),
    Flaw(
        name=flags.ELECT_ANY_REPLICA,
        title="Controller elects any live replica, in the ISR or not",
        description=(
            "The controller picks the first live replica in assignment order without checking "
            "ISR membership, even when an in-sync replica is alive. A replica that fell out of "
            "the ISR becomes leader and every acknowledged write it missed is lost."
        ),
        source=(
            "Kafka documentation, Replication: 'only members of [the ISR] are eligible "
            "for election as leader'; KIP-106 (clean election as the default)"
        ),
        apply=_flag(flags.ELECT_ANY_REPLICA),
    ),
    Flaw(
        name=flags.HW_BEFORE_ISR_ACK,
        title="High watermark advances before every ISR member has the record",
        description=(
            "The leader advances the high watermark once min.insync.replicas replicas have a "
            "record instead of every ISR member. A lagging replica that is still in the ISR "
            "lacks an acknowledged record; clean election may pick it, and the record is lost."
        ),
        source=(
            "Kafka replication design: 'a message is committed when all in-sync replicas "
            "have it' (Kafka documentation, Replication); Jepsen: Kafka (2013)"
        ),
        apply=_flag(flags.HW_BEFORE_ISR_ACK),
    ),
    Flaw(
        name=flags.CONSUMER_READS_PAST_HW,
        title="Consumers read past the high watermark",
        description=(
            "The leader serves consumer fetches up to its log end instead of the high "
            "watermark. Consumers see records that are not committed; when the leader fails "
            "those records are truncated and the offsets are reused for other records, so two "
            "consumers read different records at the same offset."
        ),
        source=(
            "Kafka documentation, Replication: 'only committed messages are ever given "
            "out to the consumer'"
        ),
        apply=_flag(flags.CONSUMER_READS_PAST_HW),
    ),
    Flaw(
        name=flags.EPOCH_CACHE_NOT_CLEANED,
        title="Truncation to the log end leaves the leader-epoch cache uncleaned (KAFKA-10706)",
        description=(
            "Truncating a log to an offset at or past its end returned early, before the "
            "leader-epoch cache was truncated. After consecutive elections without writes a "
            "follower keeps an empty epoch at its log end that the leader never had; every "
            "OffsetsForLeaderEpoch round asks about that same epoch again, truncation never "
            "completes, and the follower never rejoins the ISR (a liveness failure: the "
            "partition stays under-replicated forever, and one more failure makes it "
            "unavailable)."
        ),
        source=(
            "KAFKA-10706: Liveness bug in truncation protocol can lead to indefinite URP "
            "(fixed by apache/kafka PR 9633, Kafka 2.8)"
        ),
        apply=_flag(flags.EPOCH_CACHE_NOT_CLEANED),
    ),
    Flaw(
        name=flags.NO_TRUNCATION_SAME_LEADER,
        title="No truncation when a new leader epoch keeps the same leader (KAFKA-7164)",
        description=(
            "A follower that received a LeaderAndIsr with a newer leader epoch but the leader "
            "it already followed skipped the become-follower steps, truncation included. If it "
            "missed the epochs in between (another broker led, the old leader truncated its "
            "uncommitted suffix and then led again), it keeps records the leader no longer "
            "has and fetches on top of them: the replicas diverge, and the follower rejoins "
            "the ISR with a divergent log."
        ),
        source=(
            "KAFKA-7164: Follower should truncate after every leader epoch change "
            "(apache/kafka PR 5436, Kafka 2.1)"
        ),
        apply=_flag(flags.NO_TRUNCATION_SAME_LEADER),
    ),
    Flaw(
        name=flags.NO_IDEMPOTENT_DEDUP,
        title="The leader does not deduplicate an idempotent producer's retries",
        description=(
            "With enable.idempotence and retries (Kafka's producer defaults since 3.0) a batch "
            "whose acknowledgement was lost -- a leader killed or cut off from the client after "
            "its followers copied the batch -- is sent again. The leader must recognise the "
            "retry by its (producer id, epoch, sequence) and answer with the original offset. "
            "A leader that keeps no dedup window appends the batch a second time: a duplicate "
            "in a configuration that promises exactly one copy per acknowledged send."
        ),
        source=(
            "KIP-98: Exactly Once Delivery and Transactional Messaging (idempotent "
            "producer); redpanda-data/redpanda issue 3039 'Idempotency violation with "
            "modern kafka clients' (mitigated by PR 3040; the five-batch dedup window of "
            "issue 3038 landed in PR 3077)"
        ),
        apply=_idempotent_flag(flags.NO_IDEMPOTENT_DEDUP),
    ),
    Flaw(
        name=flags.DEDUP_STATE_LOST_ON_FAILOVER,
        title="A new leader does not rebuild producer state from its log",
        description=(
            "The dedup state (last sequences and offsets per producer id) is a function of the "
            "log: Kafka's ProducerStateManager rebuilds it from snapshots and the log, so a "
            "follower that becomes leader knows the batches its predecessor appended. A new "
            "leader that starts with empty producer state takes the retry of a batch that was "
            "replicated before the failover for a new producer's first batch and appends it "
            "again: a duplicate after an ordinary leader failover."
        ),
        source=(
            "KIP-98 (producer state recovered from the log on leader change and restart; "
            "Kafka's ProducerStateManager and its snapshots)"
        ),
        apply=_idempotent_flag(flags.DEDUP_STATE_LOST_ON_FAILOVER),
    ),
    Flaw(
        name=flags.REBOOTED_BROKER_STAYS_IN_ISR,
        title="A rebooted broker stays in the ISR (KIP-841's rule off)",
        description=(
            "A broker that restarts within its session timeout was never declared dead, so "
            "without KIP-841 the controller keeps it in every ISR it was in. If its disk was "
            "replaced (or lost its unflushed suffix) it is an ISR member with an empty log: "
            "when the leader fails next, a clean election can pick it, the other replicas "
            "truncate to it, and every acknowledged write is gone."
        ),
        source=(
            "KIP-841: Fenced replicas should not be allowed to join the ISR in KRaft "
            "(the controller removes fenced and rebooted brokers from ISRs); KIP-903"
        ),
        apply=_flag(flags.REBOOTED_BROKER_STAYS_IN_ISR, _broker_epochs),
    ),
    Flaw(
        name=flags.ISR_EXPAND_BEFORE_EPOCH_START,
        title="A follower joins the ISR before reaching the start of the leader's epoch",
        description=(
            "Right after an election the new leader's high watermark can lag its log end. The "
            "leader admitted any follower whose log end reached the HW into the ISR, even one "
            "that had not yet fetched up to the start of the new epoch: its log may still "
            "hold a divergent suffix of an older epoch that truncation has not removed yet. "
            "The ISR then contains a replica missing records the HW is about to cover, and a "
            "clean election can pick it."
        ),
        source=(
            "KAFKA-7128: Lagging high watermark can lead to committed data loss after ISR "
            "expansion (apache/kafka PR 5557); hachikuji/kafka-specification Kip320.tla "
            "(LeaderExpandIsr: caught up to the start of the current epoch)"
        ),
        apply=_flag(flags.ISR_EXPAND_BEFORE_EPOCH_START),
    ),
    Flaw(
        name=flags.HW_OVER_COMMITTED_ISR,
        title="High watermark over the committed ISR while an expansion is pending (KIP-497)",
        description=(
            "With asynchronous ISR changes (AlterIsr) the controller may already have "
            "committed an expansion the leader has not heard back about. A leader that "
            "computes the HW over its committed ISR only, rather than the maximal ISR "
            "(committed plus pending additions), can advance the HW past a replica that the "
            "controller already counts as in sync; if that replica is elected, committed "
            "records are gone."
        ),
        source=(
            "KIP-497: Add inter-broker API to alter ISR (maximal ISR for the high "
            "watermark); hachikuji/kafka-specification AsyncIsr.tla (HighWatermark over "
            "isr \\union pendingIsr)"
        ),
        apply=_flag(flags.HW_OVER_COMMITTED_ISR),
    ),
]

_FLAWS.append(
    Flaw(
        name=flags.LAST_REPLICA_STANDING,
        title="The last ISR member is re-elected after losing its unflushed suffix (pre-KIP-966)",
        description=(
            "Kafka without fsync relies on a replica that lost its unflushed suffix in an "
            "unclean shutdown leaving the ISR and catching up again. Before Eligible Leader "
            "Replicas the ISR never emptied, so when the other replicas had already left it "
            "(dead, cut off, lagging) its last member stayed in it across a power loss and "
            "was elected again with the records it lost; the followers that still had them "
            "truncated to it. Acknowledged acks=all writes under min.insync.replicas=2 are "
            "gone with a single power loss. KIP-966 makes the HW advance only with "
            "min.insync.replicas ISR members, keeps the replicas that left a small ISR as "
            "eligible leaders and removes a broker that restarted uncleanly from both."
        ),
        source=(
            "KIP-966: Eligible Leader Replicas (motivation: the 'last replica standing' "
            "data loss; Kafka 4.0); Jack Vanlightly, 'Kafka KIP-966 - Fixing the Last "
            "Replica Standing issue' (2023)"
        ),
        apply=_flag(flags.LAST_REPLICA_STANDING, pre_elr_without_fsync),
    )
)

_FLAWS.append(
    Flaw(
        name=flags.STALE_BROKER_EPOCH_JOINS_ISR,
        title="An ISR addition from a broker's previous incarnation is accepted (KAFKA-14139)",
        description=(
            "The leader proposes adding a follower that caught up; the AlterPartition request "
            "is delayed (a lost message, a cut controller link) and resent. Meanwhile the "
            "follower's disk is replaced and it registers again with an empty log. Without "
            "the broker epoch in AlterPartition the controller cannot tell the proposal is "
            "about the previous incarnation and adds the empty replica to the ISR, from "
            "which it can be elected."
        ),
        source=(
            "KIP-903: Replicas with stale broker epoch should not be allowed to join the "
            "ISR; KAFKA-14139 (Replaced disk can lead to loss of committed data even with "
            "non-empty ISR)"
        ),
        apply=_flag(flags.STALE_BROKER_EPOCH_JOINS_ISR, _broker_epochs),
    )
)

_FLAWS.append(
    Flaw(
        name=flags.STALE_FETCH_EXPANDS_ISR,
        title="A fetch from a broker's previous incarnation expands the ISR (KAFKA-15221)",
        description=(
            "A follower's fetch from before its reboot reaches the leader after the new "
            "incarnation's first fetch. A leader that records the old fetch's log end "
            "against the newest broker epoch it knows for that follower believes the empty "
            "new incarnation is caught up, proposes it for the ISR with a current epoch, and "
            "the controller accepts it. The campaign reaches it through a slow link: the "
            "old process's fetch is stuck on the way to the leader while the broker reboots "
            "with a new disk."
        ),
        source=(
            "KAFKA-15221: Potential race condition between requests from rebooted "
            "followers (the leader checks the fetch's broker epoch; KIP-903)"
        ),
        apply=_flag(flags.STALE_FETCH_EXPANDS_ISR, _broker_epochs),
    )
)

_FLAWS.append(
    Flaw(
        name=flags.LAZY_TRUNCATION,
        title="Followers truncate lazily, on a fetch error, instead of before fetching",
        description=(
            "The first design of KIP-320: a follower that learns of a new leader epoch starts "
            "fetching at once; its Fetch carries the epoch of its last record instead of its "
            "current leader epoch, and it truncates only when the leader answers that this "
            "epoch does not match its own record there. The leader can then advance the HW "
            "and expand the ISR on the word of a follower still on an older epoch, which may "
            "truncate committed records once it catches up with the leadership changes it "
            "missed, and be elected in that window. The campaign reaches it when the "
            "controller's channels to two followers are slow while leadership moves away "
            "and back: one of them leads the epoch in between as a zombie, the other "
            "follows it and truncates records committed in the newer epoch."
        ),
        source=(
            "hachikuji/kafka-specification Kip320FirstTry.tla (StrongIsr fails; the "
            "design KIP-320 replaced by fencing Fetch with the current leader epoch)"
        ),
        apply=_flag(flags.LAZY_TRUNCATION),
    )
)

FLAWS: dict[str, Flaw] = {flaw.name: flaw for flaw in _FLAWS}


def get_flaw(name: str) -> Flaw:
    """The flaw called `name`; KeyError lists the known names."""
    try:
        return FLAWS[name]
    except KeyError:
        raise KeyError(f"unknown flaw {name!r}; known: {', '.join(FLAWS)}") from None
