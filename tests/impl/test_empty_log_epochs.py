"""A follower with an empty log still truncates when its epoch cache is not empty.

Found by `replicheck hunt` on the correct configuration (seed 2952147686, Hypothesis
6.170.17): broker 2 led epoch 1 without writing, restarted, and fetched a record of epoch 0
from the next leader without truncating first, because its log was empty; its cache kept
(1, 0) under a record of epoch 0. As leader of epoch 3 it then answered broker 3's
OffsetsForLeaderEpoch as if epoch 0 were unknown, and broker 3, an ISR member, truncated a
committed record (the replica invariant). Kafka's follower truncates whenever it has an
epoch to ask about, and truncation cleans the cache even at the log end (KAFKA-10706).
"""

from __future__ import annotations

from replicheck.impl import ClusterConfig
from replicheck.stateful.scenario import Executor, run_scenario
from replicheck.stateful.steps import Step

STEPS = [
    {"kind": "partition", "args": {"groups": [["b2"], ["b1"]], "note": "cuts the link 2–1"}},
    {"kind": "send", "args": {"message": "m1", "partition": 0, "process": 0, "wait": True,
                              "wait_ms": 40}},
    {"kind": "crash", "args": {"broker": 1}},
    {"kind": "partition", "args": {"groups": [["b2"], ["b3"]], "note": "cuts the link 2–3"}},
    {"kind": "tick", "args": {"ms": 90}},
    {"kind": "crash", "args": {"broker": 2}},
    {"kind": "restart", "args": {"broker": 2}},
    {"kind": "partition", "args": {"groups": [["b1"], ["controller"]],
                                   "note": "broker 1 loses the controller"}},
    {"kind": "tick", "args": {"ms": 5}},
    {"kind": "slow-link", "args": {"dst": "b2", "extra_ms": 150, "src": "controller"}},
    {"kind": "crash", "args": {"broker": 3}},
    {"kind": "restart", "args": {"broker": 3}},
    {"kind": "tick", "args": {"ms": 162}},
]  # fmt: skip
SEED = 245


def test_the_found_run_keeps_every_committed_record_on_the_isr() -> None:
    result = run_scenario(ClusterConfig(), SEED, STEPS)
    assert not result.violation, result.story()
    assert not any(e["kind"] == "truncate" and e["broker"] == 3 for e in result.events)


def test_every_cached_epoch_covers_records_of_that_epoch() -> None:
    """After each step, each replica's epoch cache agrees with its records: the entry that
    covers an offset names the epoch of the record there."""
    executor = Executor(ClusterConfig(), SEED)
    for step in STEPS:
        executor.apply(Step.from_dict(step))
        for broker, node in executor.cluster.brokers.items():
            if node is None:
                continue  # crashed: its log is checked again once it restarts
            for replica in node.replicas.values():
                log = replica.log
                for offset, entry in enumerate(log.entries):
                    covering = [e for e, start in log.epochs if start <= offset]
                    assert covering and covering[-1] == entry[0], (broker, step, log.epochs)
