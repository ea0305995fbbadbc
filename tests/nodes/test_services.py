"""The services follow Maelstrom's documented semantics (doc/services.md, doc/workloads.md):
lin-kv is one map; seq-kv serves stale states only to operations that change nothing, and
never lets a client go back; lww-kv replicas converge by last-write-wins."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from replicheck.nodes.services import LinKv, LinTso, LwwKv, SeqKv, apply_kv, canon


def test_lin_kv_read_write_cas_and_error_codes():
    kv = LinKv()
    assert kv.handle("n0", {"type": "read", "key": "x"})["code"] == 20
    assert kv.handle("n0", {"type": "cas", "key": "x", "from": 1, "to": 2})["code"] == 20
    assert kv.handle(
        "n0", {"type": "cas", "key": "x", "from": 1, "to": 2, "create_if_not_exists": True}
    ) == {"type": "cas_ok"}
    assert kv.handle("n1", {"type": "read", "key": "x"}) == {"type": "read_ok", "value": 2}
    assert kv.handle("n0", {"type": "cas", "key": "x", "from": 1, "to": 3})["code"] == 22
    # create_if_not_exists does not apply to an existing key: its value must still match
    assert (
        kv.handle(
            "n0", {"type": "cas", "key": "x", "from": 1, "to": 3, "create_if_not_exists": True}
        )["code"]
        == 22
    )
    assert kv.handle("n0", {"type": "write", "key": "x", "value": [1, {"a": None}]}) == {
        "type": "write_ok"
    }
    assert (
        kv.handle("n0", {"type": "cas", "key": "x", "from": [1, {"a": None}], "to": True})["type"]
        == "cas_ok"
    )
    assert (
        kv.handle("n0", {"type": "cas", "key": "x", "from": 1, "to": 0})["code"] == 22
    )  # true is not 1
    assert kv.handle("n0", {"type": "read", "key": 5})["code"] == 20  # keys are JSON: 5 is not "5"
    assert kv.handle("n0", {"type": "frobnicate", "key": "x"})["code"] == 10


def test_lin_tso_counts_from_zero():
    tso = LinTso()
    assert [tso.handle("n0", {"type": "ts"})["ts"] for _ in range(3)] == [0, 1, 2]


_op = st.tuples(
    st.sampled_from(["n0", "n1", "n2"]),
    st.sampled_from(["read", "write", "cas"]),
    st.integers(0, 3),
    st.integers(0, 3),
)


@given(st.lists(_op, max_size=60), st.integers(0, 2**32))
def test_seq_kv_is_sequential_with_monotonic_clients(ops, seed):
    """Oracle: the list of every state the service ever had, in its one total order. An
    operation is either applied to the newest state (a new state if it changes it), or --
    when it changes nothing in some state the client may still see (no older than the last
    one it saw) -- answered from that state. Nothing else is allowed."""
    kv = SeqKv(random.Random(seed))
    states = [{}]
    seen: dict[str, int] = {}
    for src, kind, a, b in ops:
        body = {"type": kind, "key": "x"}
        if kind == "write":
            body["value"] = a
        elif kind == "cas":
            body.update({"from": a, "to": b})
        grew = kv.last
        reply = kv.handle(src, body)
        if kv.last > grew:  # applied to the newest state, which it changed
            after, expected = apply_kv(states[-1], body)
            assert (reply, kv.states[-1]) == (expected, after) and after != states[-1]
            states.append(after)
            seen[src] = len(states) - 1
            continue
        candidates = [
            i
            for i in range(seen.get(src, 0), len(states))
            if apply_kv(states[i], body) == (states[i], reply)
        ]
        assert candidates, (src, body, reply)
        seen[src] = min(candidates)  # the least it can have seen: the strictest later check
    assert kv.states[-1] == states[-1]


def test_seq_kv_serves_stale_reads_but_not_to_the_writer():
    rng = random.Random(1)
    kv = SeqKv(rng)
    kv.handle("n0", {"type": "write", "key": "x", "value": 1})
    stale = 0
    for i in range(200):
        kv.handle("n0", {"type": "write", "key": "x", "value": i + 2})
        assert kv.handle("n0", {"type": "read", "key": "x"})["value"] == i + 2  # own writes
        stale += kv.handle("n1", {"type": "read", "key": "x"}).get("value") != i + 2
    assert stale > 0  # Maelstrom allows it, and the service does exercise it


def test_seq_kv_successful_cas_acts_on_the_newest_state():
    """A stale view may make a cas fail (it changed nothing), but a cas that swaps swaps the
    newest value, and its client then reads its own write."""
    swapped = 0
    for seed in range(30):
        kv = SeqKv(random.Random(seed))
        kv.handle("n0", {"type": "write", "key": "x", "value": 1})
        kv.handle("n0", {"type": "write", "key": "x", "value": 2})
        reply = kv.handle("n1", {"type": "cas", "key": "x", "from": 2, "to": 3})
        if reply["type"] == "cas_ok":
            swapped += 1
            assert kv.handle("n1", {"type": "read", "key": "x"})["value"] == 3
        else:
            assert reply["code"] in (20, 22)  # answered from a past state: x missing, or 1
        # 1 is a past value: where a cas from it would swap it runs on the newest state
        # instead (2 or 3) and fails -- updates never act on the past
        assert kv.handle("n1", {"type": "cas", "key": "x", "from": 1, "to": 9})["code"] in (20, 22)
    assert swapped > 0


def test_lww_kv_with_one_replica_is_a_plain_map():
    kv = LwwKv(random.Random(0), replicas=1)
    kv.handle("n0", {"type": "write", "key": "k", "value": "a"})
    assert kv.handle("n1", {"type": "read", "key": "k"})["value"] == "a"
    assert kv.handle("n1", {"type": "cas", "key": "k", "from": "b", "to": "c"})["code"] == 22


def test_lww_kv_is_stale_then_converges_to_the_latest_write():
    kv = LwwKv(random.Random(3))
    kv.handle("n0", {"type": "write", "key": "k", "value": "old"})
    for _ in range(50):  # gossip until every replica has the write
        kv.handle("n0", {"type": "read", "key": "other"})
    kv.handle("n0", {"type": "write", "key": "k", "value": "new"})
    reads = [kv.handle("n1", {"type": "read", "key": "k"}).get("value") for _ in range(300)]
    assert "old" in reads[:5] or "old" in reads  # some replica had not heard of "new" yet
    assert reads[-20:] == ["new"] * 20  # merging by timestamp: the later write wins everywhere
    assert all(r.values[canon("k")][1] == canon("new") for r in kv.replicas)


def test_services_answer_real_processes_with_maelstrom_replies(program, fast):
    """A real node talks to each kv service over the harness's network: same replies and
    error codes, `in_reply_to` set. (One client, one node: lin-kv and seq-kv must agree --
    a client always sees its own updates; lww-kv may serve a replica that missed them.)"""
    import json

    from replicheck.nodes import NodeTarget

    expected = [
        {"type": "error", "code": 20, "in_reply_to": 100},
        {"type": "error", "code": 20, "in_reply_to": 101},
        {"type": "cas_ok", "in_reply_to": 102},
        {"type": "read_ok", "value": 2, "in_reply_to": 103},
        {"type": "error", "code": 22, "in_reply_to": 104},
        {"type": "write_ok", "in_reply_to": 105},
        {"type": "cas_ok", "in_reply_to": 106},
        {"type": "read_ok", "value": 6, "in_reply_to": 107},
    ]
    for service in ("lin-kv", "seq-kv", "lww-kv"):
        with NodeTarget(program("kv_probe", service), 1, config=fast) as target:
            target.start()
            node = target.processes["n0"]
            # bounded: run the network until the probe says it is done (or 5 s)
            assert target._pump(target.now_ms() + 5000, lambda n=node: n.stderr_tail(1) == "done")
            lines = target.processes["n0"].stderr_tail(20).splitlines()
        assert lines[-1] == "done", lines
        replies = [json.loads(line) for line in lines[:-1]]
        if service == "lww-kv":
            assert all(r["type"] != "no reply" for r in replies)
            assert [r["in_reply_to"] for r in replies] == list(range(100, 108))
        else:
            assert replies == expected, service
