"""Every flaw in the zoo is reachable: a short fault sequence makes the flawed cluster lose
an acknowledged write, show two records at one offset, break a replica invariant, or fail
to converge after teardown (liveness), while
the same sequence is harmless on the correct configuration."""

from __future__ import annotations

from typing import Any

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.config import eligible_leader_replicas, idempotent_producer
from replicheck.impl.zoo import FLAWS, Flaw, get_flaw

Step = tuple[Any, ...]


def run(config: ClusterConfig, steps: list[Step], seed: int = 1) -> tuple[Cluster, list[str]]:
    """Run `steps`; return the cluster and every problem seen (invariants at every step,
    then lost acknowledged writes and offsets read two ways after the final read)."""
    cluster = Cluster(config, seed=seed)
    problems: list[str] = []
    for step in steps:
        kind, args = step[0], step[1:]
        if kind == "send":  # (process, message, wait)
            process, message, wait = args
            cluster.send(process, 0, message)
            if wait:
                for _ in range(config.request_timeout_ms + 5):
                    if cluster.is_idle(process):
                        break
                    cluster.tick(1)
        elif kind == "poll":  # (process, offset)
            cluster.poll(args[0], 0, args[1])
            for _ in range(config.request_timeout_ms + 5):
                if cluster.is_idle(args[0]):
                    break
                cluster.tick(1)
        elif kind == "tick":
            cluster.tick(args[0])
        elif kind == "crash":
            cluster.crash(args[0])
        elif kind == "power-loss":
            cluster.power_loss(args[0])
        elif kind == "replace-disk":
            cluster.replace_disk(args[0])
        elif kind == "restart":
            cluster.restart(args[0])
        elif kind == "partition":
            cluster.partition(args[0])
        elif kind == "heal":
            cluster.heal()
        elif kind == "slow-link":  # (src, dst, extra_ms)
            cluster.set_link_delay_ms(*args)
        elif kind == "elect-preferred":
            cluster.elect_preferred_leaders()
        else:
            raise AssertionError(kind)
        for text in cluster.invariant_violations():
            if text not in problems:
                problems.append(text)
    cluster.final_read(99)
    problems.extend(t for t in cluster.invariant_violations() if t not in problems)
    problems.extend(f"liveness: {text}" for text in cluster.liveness_violations)
    problems.extend(durability_problems(cluster))
    return cluster, problems


def durability_problems(cluster: Cluster) -> list[str]:
    out = []
    final: dict[int, str] = {}
    seen: dict[int, str] = {}
    for op in cluster.history:
        if op["f"] == "poll" and op["type"] == "ok":
            for offset, value in op["value"]:
                if seen.setdefault(offset, value) != value:
                    out.append(f"offset {offset} read as {seen[offset]} and as {value}")
                if op.get("final"):
                    final[offset] = value
    for op in cluster.history:
        if op["f"] == "send" and op["type"] == "ok" and final.get(op["offset"]) != op["value"]:
            out.append(f"acknowledged {op['value']}@{op['offset']} lost "
                       f"(final read has {final.get(op['offset'])})")
    values = list(final.values())
    # Every send writes a unique message, so a repeat in the log is a duplicate (checked
    # only for configurations that promise at most one copy: no at-least-once retries).
    if not cluster.config.at_least_once:
        out.extend(f"{v} written twice" for v in sorted(set(values)) if values.count(v) > 1)
    return out


# The shortest sequences we know per flaw. "b1 | b2" style partitions cut only the links
# between the listed groups; every unlisted node (controller, clients) reaches everyone.
SEQUENCES: dict[str, list[Step]] = {
    # The leader acknowledges before any follower has the record, then dies.
    "acks-one": [
        ("partition", [["b1"], ["b2", "b3"]]),
        ("send", 0, "a", True),
        ("crash", 1),
        ("tick", 200),
    ],
    # b3 falls out of the ISR, the ISR {1,2} acknowledges, both die, b3 is elected.
    "unclean-election": [
        ("partition", [["b1"], ["b3"]]),
        ("send", 0, "a", True),
        ("crash", 1),
        ("crash", 2),
        ("tick", 200),
    ],
    # The ISR shrinks to the leader alone, which still acknowledges; it dies; b2 takes over.
    "ignore-min-isr": [
        ("partition", [["b1"], ["b2", "b3"]]),
        ("tick", 200),
        ("send", 0, "a", True),
        ("crash", 1),
        ("tick", 200),
    ],
    # Every replica acknowledged from its page cache; a correlated power loss erases it.
    "no-fsync": [
        ("send", 0, "a", True),
        ("power-loss", 1),
        ("power-loss", 2),
        ("power-loss", 3),
        ("restart", 1),
        ("restart", 2),
        ("restart", 3),
        ("tick", 200),
    ],
    # b2 is out of the ISR, the leader dies, and b2 (first live replica) is elected anyway.
    "elect-any-replica": [
        ("partition", [["b1"], ["b2"]]),
        ("send", 0, "a", True),
        ("crash", 1),
        ("tick", 200),
    ],
    # The HW passes "a" once b1 and b3 have it; b2 is still in the ISR and gets elected.
    "hw-before-isr-ack": [
        ("partition", [["b1"], ["b2"]]),
        ("send", 0, "a", True),
        ("crash", 1),
        ("tick", 200),
    ],
    # A consumer reads an uncommitted record; after failover the offset holds another one.
    "consumer-reads-past-hw": [
        ("partition", [["b1"], ["b2", "b3"]]),
        ("send", 0, "a", False),
        ("tick", 5),
        ("poll", 1, 0),
        ("crash", 1),
        ("tick", 200),
        ("send", 2, "b", True),
    ],
    # b2 restarts and truncates to its (lagging) HW, cutting the acknowledged "a"; the leader
    # dies before b2 re-fetches, and b2 is elected.
    "truncate-to-hw": [
        ("send", 0, "a", True),
        ("crash", 2),
        ("restart", 2),
        ("crash", 1),
        ("tick", 200),
    ],
    # b3 misses two leadership changes (cut from the controller); when b1 leads again b3's
    # unfenced fetches are served on top of a record b1 truncated, b3 rejoins the ISR with a
    # divergent log and is finally elected, losing the acknowledged "c".
    "no-fetch-fencing": [
        ("partition", [["b1"], ["b2"]]),
        ("send", 0, "b", False),
        ("tick", 5),
        ("crash", 1),
        ("partition", [["b3"], ["controller"]]),
        ("tick", 200),
        ("restart", 1),
        ("tick", 50),
        ("send", 1, "c", True),
        ("elect-preferred",),
        ("tick", 50),
        ("crash", 1),
        ("crash", 2),
        ("heal",),
        ("tick", 200),
    ],
    # b3 keeps an epoch-0 record that b2 never had, b2 writes in epoch 1, both die in turn;
    # b3 leads epoch 2 and b2 returns asking for the end of epoch 1, which b3 never had: the
    # pre-KIP-279 answer leaves b2's epoch-1 record at an offset where b3 has another.
    "epoch-truncation-without-kip279": [
        ("send", 0, "a", True),
        ("partition", [["b1"], ["b2"]]),
        ("send", 0, "b", False),
        ("tick", 5),
        ("crash", 1),
        ("partition", [["b2"], ["b3"]]),
        ("tick", 90),
        ("send", 1, "c", False),
        ("tick", 5),
        ("crash", 2),
        ("tick", 150),
        ("heal",),
        ("restart", 2),
        ("tick", 100),
    ],
    # Two elections without writes leave b3 an empty epoch 2 at its log end that leader b2
    # never had; b3's truncation to its log end keeps it, so it asks about epoch 2 forever
    # and never rejoins the ISR (liveness: the cluster does not converge after teardown).
    "epoch-cache-not-cleaned": [
        ("send", 0, "a", True),
        ("crash", 1),
        ("tick", 100),
        ("partition", [["b2"], ["b3"]]),
        ("send", 0, "b", False),
        ("tick", 5),
        ("crash", 2),
        ("restart", 2),
        ("tick", 5),
        ("crash", 3),
        ("restart", 3),
        ("heal",),
    ],
    # b3 (cut from the controller) misses epoch 1, in which b1 truncated the uncommitted x;
    # b1 leads again in epoch 2, and b3, told its leader did not change, skips truncation
    # and fetches on top of x: it rejoins the ISR with a divergent log.
    "no-truncation-same-leader": [
        ("partition", [["b1"], ["b2"]]),
        ("send", 0, "x", False),
        ("tick", 5),
        ("crash", 1),
        ("partition", [["b3"], ["controller"]]),
        ("tick", 200),
        ("restart", 1),
        ("tick", 50),
        ("send", 1, "c", True),
        ("elect-preferred",),
        ("tick", 50),
        ("heal",),
        ("tick", 200),
    ],
    # b3 rejoins after a cut; the controller commits the expansion but its answer is cut off
    # (13 ms after the heal, exactly between the two); the leader keeps computing the HW over
    # {1,2}, passing b3's LEO while the controller counts b3 in sync.
    "hw-over-committed-isr": [
        ("partition", [["b1"], ["b3"]]),
        ("tick", 200),
        ("heal",),
        ("tick", 13),
        ("partition", [["b1"], ["b3", "controller"]]),
        ("send", 0, "a", True),
        ("tick", 50),
    ],
    # a is committed by {1,2}; b1 restarts, b2 leads epoch 1 with a lagging HW (b1's LEO is
    # unknown); b3 fetches at that HW, below the epoch start, and is admitted; the answer
    # carrying a is cut off (3 ms later): an ISR member lacks a committed record (were both
    # others to die now, b3 would be elected without a).
    "isr-expand-before-epoch-start": [
        ("partition", [["b1"], ["b3"]]),
        ("tick", 200),
        ("send", 0, "a", True),
        ("crash", 1),
        ("restart", 1),
        ("tick", 3),
        ("partition", [["b2"], ["b3"]]),
        ("tick", 5),
    ],
}


# The answer to m1 is lost, the leader dies after its followers copied m1, and the
# client's retry reaches the new leader: one copy with dedup, two without.
_LOST_ANSWER_THEN_FAILOVER: list[Step] = [
    ("send", 0, "m0", True),
    ("send", 0, "m1", False),
    ("tick", 1),
    ("partition", [["b1"], ["c0"]]),
    ("tick", 20),
    ("crash", 1),
    ("tick", 1500),
]
SEQUENCES["no-idempotent-dedup"] = _LOST_ANSWER_THEN_FAILOVER
SEQUENCES["dedup-state-lost-on-failover"] = _LOST_ANSWER_THEN_FAILOVER
# Producer flaws live in Kafka's default (idempotent, retrying) producer: the same
# sequence must be harmless there.
CORRECT_BASE = {"no-idempotent-dedup": idempotent_producer(ClusterConfig()),
                "dedup-state-lost-on-failover": idempotent_producer(ClusterConfig())}
# b2's disk is swapped and it reboots at once; without KIP-841 it stays in the ISR with an
# empty log and is elected when the leader fails.
SEQUENCES["rebooted-broker-stays-in-isr"] = [
    ("send", 0, "a", True),
    ("replace-disk", 2),
    ("restart", 2),
    ("tick", 2),
    ("crash", 1),
    ("tick", 200),
]
CORRECT_BASE["rebooted-broker-stays-in-isr"] = ClusterConfig(broker_epochs=True)
# KIP-966's motivating case: the followers leave the ISR, the last member loses its
# unflushed suffix and is elected again. The same cluster with ELR recovers from broker 3.
SEQUENCES["last-replica-standing"] = [
    ("send", 0, "a", True),
    ("crash", 2),
    ("crash", 3),
    ("tick", 100),
    ("power-loss", 1),
    ("restart", 1),
    ("tick", 20),
    ("restart", 2),
    ("restart", 3),
    ("tick", 200),
]
CORRECT_BASE["last-replica-standing"] = eligible_leader_replicas(ClusterConfig())
# KAFKA-14139: the leader proposes adding b3 (caught up again after a lag), the AlterIsr is
# lost on a cut controller link, b3's disk is swapped and it registers again, the link
# returns while b3 is cut from the leader, and the proposal is resent with b3's old epoch.
SEQUENCES["stale-broker-epoch-joins-isr"] = [
    ("send", 0, "a", True),
    ("partition", [["b1"], ["b3"]]),
    ("tick", 120),
    ("send", 0, "b", True),
    ("heal",),
    ("tick", 27),  # b1's proposal adding b3 is in flight
    ("partition", [["b1"], ["controller"]]),
    ("replace-disk", 3),
    ("restart", 3),
    ("tick", 2),
    ("partition", [["b1"], ["b3"]]),
    *[("tick", 10)] * 35,
]
CORRECT_BASE["stale-broker-epoch-joins-isr"] = ClusterConfig(broker_epochs=True)
# KAFKA-15221: b3's fetch is stuck on a slow link to the leader while b3 reboots with a new
# disk; its way to the leader recovers first, the way back later. The old fetch lands after
# the new incarnation's first fetch (whose answer is still on the way back).
SEQUENCES["stale-fetch-expands-isr"] = [
    ("send", 0, "a", True),
    ("slow-link", "b3", "b1", 30),
    ("tick", 12),
    ("slow-link", "b1", "b3", 40),
    ("replace-disk", 3),
    ("restart", 3),
    ("slow-link", "b3", "b1", 0),
    ("tick", 33),
    ("slow-link", "b1", "b3", 0),
]
CORRECT_BASE["stale-fetch-expands-isr"] = ClusterConfig(broker_epochs=True)
# Kip320FirstTry.tla: the controller's channels to b2 and b3 are slow; b1 restarts (b2 leads
# epoch 1, which b2 and b3 hear of late) and leads again in epoch 2; b2, cut from b1, leaves
# the ISR and b3 copies the epoch-2 write, which commits. Then b2 leads epoch 1 as a zombie
# and b3 follows it: its fetch meets LOG_TRUNCATION and it truncates the committed record.
SEQUENCES["lazy-truncation"] = [
    ("send", 0, "a", True),
    ("tick", 20),
    ("slow-link", "controller", "b2", 150),
    ("slow-link", "controller", "b3", 150),
    ("partition", [["b1"], ["b2"]]),
    ("crash", 1),
    ("restart", 1),
    ("tick", 25),
    ("elect-preferred",),
    ("tick", 5),
    ("send", 0, "b", True),  # FENCED_LEADER_EPOCH: the client's metadata is stale
    ("send", 0, "c", True),
    *[("tick", 2)] * 30,
]

def test_every_flaw_has_a_sequence() -> None:
    assert set(SEQUENCES) == set(FLAWS)


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_flaw_is_reachable_and_correct_config_survives_the_same_sequence(name: str) -> None:
    steps = SEQUENCES[name]
    _, correct_problems = run(CORRECT_BASE.get(name, ClusterConfig()), steps)
    assert correct_problems == []
    _, flawed_problems = run(get_flaw(name).apply(ClusterConfig()), steps)
    assert flawed_problems != []


def test_zoo_entries_are_documented() -> None:
    assert len(FLAWS) >= 10
    for name, flaw in FLAWS.items():
        assert isinstance(flaw, Flaw) and flaw.name == name
        assert flaw.title and len(flaw.description) > 80 and flaw.source
        config = flaw.apply(ClusterConfig())
        assert name in config.flaws
        assert ClusterConfig.from_dict(config.to_dict()) == config


def test_get_flaw_names_the_known_flaws() -> None:
    with pytest.raises(KeyError, match="truncate-to-hw"):
        get_flaw("no-such-flaw")
