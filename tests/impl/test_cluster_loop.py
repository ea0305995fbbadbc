"""The cluster's event loop against a plain reference loop (differential).

`Cluster.tick` is the campaign's hot loop and is written for speed (local counters, the
next wakeup scheduled inline). `reference_tick` below is the straightforward definition it
replaced: pop every due entry in (time, seq) order, drop what is addressed to a dead or
replaced node or superseded, deliver, route, reschedule through `_schedule`. Two clusters
driven by the same calls, one ticking each way, must agree on everything observable after
every call: history, events, clock, counters and the pending queue itself.
"""

from __future__ import annotations

import heapq
import random
from functools import partial

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.config import idempotent_producer
from replicheck.impl.replica import INF_MS


def reference_tick(cluster: Cluster, ms: int) -> None:
    """The loop as first written (before the inlining), kept as the oracle."""
    target = cluster.now_ms + ms
    queue = cluster._queue
    while queue and queue[0][0] <= target:
        t, seq, dst, inc, msg = heapq.heappop(queue)
        cluster.now_ms = t
        node = cluster._nodes.get(dst)
        if node is None or cluster._incarnation[dst] != inc:
            continue
        if msg is None:
            if cluster._wake.get(dst) != (t, seq):
                continue
            del cluster._wake[dst]
            cluster.timer_ticks += 1
            out = node.tick(t)
        else:
            if cluster._net.group_of and not cluster._net.connected(msg.src, dst):
                continue
            cluster.messages_delivered += 1
            out = node.step(msg, t)
        if out:
            cluster._route(dst, out)
        if node.next_tick_ms < INF_MS:
            current = cluster._wake.get(dst)
            if current is None or node.next_tick_ms < current[0]:
                cluster._schedule(dst, node)
    cluster.now_ms = target


def observable(cluster: Cluster) -> tuple[object, ...]:
    return (
        cluster.now_ms,
        cluster.history,
        cluster.event_log_text(),
        cluster.messages_delivered,
        cluster.timer_ticks,
        sorted((t, s, d, i, repr(m)) for t, s, d, i, m in cluster._queue),
        dict(cluster._wake),
        cluster.invariant_violations(),
    )


def drive(fast: Cluster, slow: Cluster, rng: random.Random, calls: int) -> int:
    """Apply the same random driver calls to both; compare after each. Returns how many
    calls ran a non-empty tick (so the test knows it exercised the loop)."""
    brokers = fast.broker_ids
    ticks = 0
    for n in range(calls):
        kind = rng.choice(
            [
                "send",
                "send",
                "poll",
                "tick",
                "tick",
                "tick",
                "crash",
                "restart",
                "partition",
                "heal",
                "faults",
                "power",
            ]
        )
        if kind == "send" and fast.is_idle(0):
            part, msg = rng.randrange(3), f"m{n}"
            fast.send(0, part, msg)
            slow.send(0, part, msg)
        elif kind == "poll" and fast.is_idle(1):
            part, offset = rng.randrange(3), rng.randint(0, 3)
            fast.poll(1, part, offset)
            slow.poll(1, part, offset)
        elif kind == "tick":
            ms = rng.choice([1, 1, 3, 10, 45, 110, 300])
            before = fast.messages_delivered + fast.timer_ticks
            fast.tick(ms)
            reference_tick(slow, ms)
            ticks += fast.messages_delivered + fast.timer_ticks > before
        elif kind in ("crash", "power"):
            live = [b for b in brokers if fast.is_live(b)]
            if live:
                b = rng.choice(live)
                if kind == "crash":
                    fast.crash(b)
                    slow.crash(b)
                else:
                    fast.power_loss(b)
                    slow.power_loss(b)
        elif kind == "restart":
            dead = [b for b in brokers if not fast.is_live(b)]
            if dead:
                b = rng.choice(dead)
                fast.restart(b)
                slow.restart(b)
        elif kind == "partition":
            nodes = ["b1", "b2", "b3", "controller", "c0", "c1"]
            rng.shuffle(nodes)
            cut = rng.randint(1, len(nodes) - 1)
            groups = [nodes[:cut], nodes[cut:]]
            fast.partition(groups)
            slow.partition(groups)
        elif kind == "faults":
            loss, hi = rng.choice([0.0, 0.2]), rng.choice([1, 5])
            for cluster in (fast, slow):
                cluster.set_message_loss(loss)
                cluster.set_message_delay_ms(1, hi)
        else:
            fast.heal()
            slow.heal()
        assert observable(fast) == observable(slow), f"after call {n} ({kind})"
    return ticks


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("idempotent", [False, True])
def test_the_fast_loop_matches_the_reference_loop(seed: int, idempotent: bool) -> None:
    config = ClusterConfig(partition_count=3, flush="interval")
    if idempotent:
        config = idempotent_producer(config)
    fast, slow = Cluster(config, seed=seed), Cluster(config, seed=seed)
    ticks = drive(fast, slow, random.Random(seed), 80)
    assert ticks >= 5  # the comparison covered real deliveries, not empty ticks
    assert fast.messages_delivered > 20 and fast.timer_ticks > 20


def test_the_reference_loop_detects_a_changed_order() -> None:
    """The comparison can fail: a cluster that skips one due wakeup diverges."""
    config = ClusterConfig(partition_count=1)
    fast, slow = Cluster(config, seed=1), Cluster(config, seed=1)
    fast.tick(30)
    reference_tick(slow, 30)
    assert observable(fast) == observable(slow)
    slow._wake.clear()  # every pending wakeup is now superseded: it will be skipped
    fast.tick(30)
    reference_tick(slow, 30)
    assert observable(fast) != observable(slow)


def _isrs(cluster: Cluster) -> list[tuple[int, ...]]:
    return [p.isr for p in cluster.store.partitions]


def _isrs_changed(cluster: Cluster, before: list[tuple[int, ...]]) -> bool:
    return _isrs(cluster) != before


def reference_run_until(cluster: Cluster, done: object, max_ms: int) -> int:
    """`run_until` as first written: 1 ms slices, `done()` before each."""
    assert callable(done)
    waited_ms = 0
    while waited_ms < max_ms and not done():
        reference_tick(cluster, 1)
        waited_ms += 1
    return waited_ms


@pytest.mark.parametrize("seed", range(8))
def test_run_until_ends_where_one_ms_slices_end(seed: int) -> None:
    """`run_until` passes the quiet milliseconds before the next queued event at once; the
    wait must end at the same millisecond, with the same state, as 1 ms slices."""
    config = ClusterConfig(partition_count=2)
    fast, slow = Cluster(config, seed=seed), Cluster(config, seed=seed)
    rng = random.Random(seed)
    waits = 0
    for n in range(60):
        kind = rng.choice(["send", "poll", "isr", "crash", "restart", "faults"])
        bound_ms = rng.choice([1, 5, 40, 300])
        if kind in ("send", "poll"):
            process = 0 if kind == "send" else 1
            if not fast.is_idle(process):
                continue
            for cluster in (fast, slow):
                if kind == "send":
                    cluster.send(process, n % 2, f"m{n}")
                else:
                    cluster.poll(process, n % 2, 0)
            got = fast.run_until(partial(fast.is_idle, process), bound_ms)
            want = reference_run_until(slow, partial(slow.is_idle, process), bound_ms)
        elif kind == "isr":
            before = _isrs(fast)
            got = fast.run_until(partial(_isrs_changed, fast, before), 400)
            want = reference_run_until(slow, partial(_isrs_changed, slow, before), 400)
        elif kind in ("crash", "restart"):
            pool = [b for b in fast.broker_ids if fast.is_live(b) == (kind == "crash")]
            if not pool or (kind == "crash" and len(pool) == 1):
                continue
            b = rng.choice(pool)
            for cluster in (fast, slow):
                getattr(cluster, kind)(b)
            continue
        else:
            hi = rng.choice([1, 6])
            for cluster in (fast, slow):
                cluster.set_message_delay_ms(1, hi)
            continue
        waits += got > 1
        assert got == want, f"call {n} ({kind})"
        assert observable(fast) == observable(slow), f"after call {n} ({kind})"
    assert waits >= 5  # waits that ran past their first millisecond
