"""The read-only views a campaign's snapshot shows: the network's faults in words, each
node's process state and each client, and the final read by a chosen history process."""

from __future__ import annotations

import random

from replicheck.nodes import NodeStep, NodeTarget
from replicheck.nodes.router import DropRule, Router


def test_the_router_says_which_faults_are_in_force():
    router = Router(random.Random(0), ["n0", "n1", "n2", "lin-kv"])
    assert router.describe() == "healthy"
    router.partition([["n0"], ["n1", "n2"]])
    router.set_faults(loss=0.2, duplicate=0.5, delay_ms=(1.0, 10.0))
    router.drop_next(DropRule(2, "n1", "n2"))
    assert router.describe() == (
        "partition {n0} | {n1,n2}; loss 0.2; duplicate 0.5; delay 1–10 ms; 2 targeted drop(s) armed"
    )
    router.heal()
    assert router.describe() == "healthy"


def test_describe_state_follows_pause_crash_and_clients(example, fast):
    with NodeTarget(example("log_single"), 2, config=fast) as target:
        target.start()
        target.step(NodeStep("pause", {"node": "n1"}))
        target.step(NodeStep("send", {"client": 0, "node": "n0", "key": "a", "msg": 1}))
        target.step(NodeStep("crash", {"node": "n0"}))
        target.step(NodeStep("partition", {"groups": [["n0"], ["n1"]]}))
        lines = target.describe_state()
        assert lines[0].startswith("n0: pid ") and lines[0].endswith("running, incarnation 1")
        assert lines[1].endswith("paused (SIGSTOP), incarnation 0")
        assert lines[2] == "network: partition {n0} | {n1}"
        assert lines[3] == "client 0: process 0, idle"
        assert target.client_process(0) == 0
        target.step(NodeStep("client-crash", {"client": 0}))
        assert target.client_process(0) == 1  # a crashed client comes back as a new process
        assert target.final_read(process=7) == {"a": True}  # the crash lost it: n0 is empty
        readers = {op["process"] for op in target.history.ops if op.get("final")}
        assert readers == {7}
    assert target.describe_state()[:2] == ["n0: down", "n1: down"]


def test_the_final_reader_skips_a_process_number_already_taken(example, fast):
    with NodeTarget(example("log_single"), 1, config=fast) as target:
        target.start()
        target.step(NodeStep("send", {"client": 0, "node": "n0", "key": "a", "msg": 1}))
        target.step(NodeStep("client-crash", {"client": 0}))  # process 1 is taken now
        assert target.final_read(process=1) == {"a": True}
        polls = [op for op in target.history.ops if op["f"] == "poll"]
        assert polls and {op["process"] for op in polls} == {2}
