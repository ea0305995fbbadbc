"""The invariant watch skips events that change nothing it reads (differential).

`Cluster._after_watched_event` checks the invariants only when an input of the checks has
changed since the watch's last check. The reference is the watch that checks after every
event (`watch_invariants(every_event=True)`): two clusters driven by the same random calls,
one watching each way, must report the same violations in the same order after every call,
and end with the same memory of committed records and leader HWs. The stories use flaws
whose broken states the watch sees, so the comparison covers reports, not only silence.
"""

from __future__ import annotations

import random

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.zoo import FLAWS
from replicheck.stateful.runner import resolve_config, run_single

FLAW_NAMES = [
    "hw-over-committed-isr",
    "isr-expand-before-epoch-start",
    "no-truncation-same-leader",
    "truncate-to-hw",
    "lazy-truncation",
    "no-fsync",
    "stale-fetch-expands-isr",
    "rebooted-broker-stays-in-isr",
    "hw-before-isr-ack",
]
NODES = ["b1", "b2", "b3", "controller", "c0", "c1"]


def _call(cluster: Cluster, kind: str, arg: object) -> None:
    """One driver call; `arg` was drawn once for both clusters."""
    if kind == "send":
        assert isinstance(arg, tuple)
        cluster.send(0, *arg)
    elif kind == "poll":
        assert isinstance(arg, tuple)
        cluster.poll(1, *arg)
    elif kind == "faults":
        assert isinstance(arg, tuple)
        cluster.set_message_loss(arg[0])
        cluster.set_message_delay_ms(1, arg[1])
    elif kind == "tick":
        cluster.tick(int(str(arg)))
    elif kind == "crash":
        cluster.crash(int(str(arg)))
    elif kind == "power":
        cluster.power_loss(int(str(arg)))
    elif kind == "disk":
        cluster.replace_disk(int(str(arg)))
    elif kind == "restart":
        cluster.restart(int(str(arg)))
    elif kind == "partition":
        assert isinstance(arg, list)
        cluster.partition(arg)
    elif kind == "slow":
        assert isinstance(arg, tuple)
        cluster.set_link_delay_ms(*arg)
    elif kind == "failover":
        cluster.controller_failover()
    elif kind == "elect":
        cluster.elect_preferred_leaders()
    else:
        cluster.heal()


def _draw(cluster: Cluster, rng: random.Random, n: int) -> tuple[str, object] | None:
    kinds = ["send"] * 4 + ["poll"] + ["tick"] * 6 + ["crash", "power"]
    kinds += ["disk", "restart", "restart", "partition", "heal", "slow", "faults", "failover"]
    kinds += ["elect"]
    kind = rng.choice(kinds)
    part = rng.randrange(cluster.config.partition_count)
    live = [b for b in cluster.broker_ids if cluster.is_live(b)]
    dead = [b for b in cluster.broker_ids if not cluster.is_live(b)]
    if kind == "send":
        return (kind, (part, f"m{n}")) if cluster.is_idle(0) else None
    if kind == "poll":
        return (kind, (part, rng.randint(0, 3))) if cluster.is_idle(1) else None
    if kind == "faults":
        return kind, (rng.choice([0.0, 0.0, 0.1]), rng.choice([1, 1, 4]))
    if kind == "tick":
        return kind, rng.choice([1, 1, 2, 3, 5, 8, 13, 27, 60, 110, 300])
    if kind in ("crash", "power", "disk"):
        return (kind, rng.choice(live)) if len(live) > 1 else None
    if kind == "restart":
        return (kind, rng.choice(dead)) if dead else None
    if kind == "partition":
        nodes = list(NODES)
        rng.shuffle(nodes)
        cut = rng.randint(1, len(nodes) - 1)
        return kind, [nodes[:cut], nodes[cut:]]
    if kind == "slow":
        src, dst = rng.sample(NODES[:4], 2)
        return kind, (src, dst, rng.choice([0, 0, 15, 40]))
    return kind, None


def _memory(cluster: Cluster) -> tuple[object, ...]:
    return (dict(cluster._committed), dict(cluster._hw_seen), cluster._watched_violations)


def drive(config: ClusterConfig, seed: int, calls: int) -> tuple[int, int]:
    """Run one random story on a skipping and an every-event watch, comparing after each
    call; returns (violations reported, checks the skipping watch left out)."""
    skipping, every = Cluster(config, seed=seed), Cluster(config, seed=seed)
    skipping.watch_invariants()
    every.watch_invariants(every_event=True)
    checks = {id(skipping): 0, id(every): 0}
    for cluster in (skipping, every):

        def counted(cluster: Cluster = cluster, check: object = cluster._watch_invariants) -> None:
            checks[id(cluster)] += 1
            assert callable(check)
            check()

        cluster._watch_invariants = counted  # type: ignore[method-assign]
    rng = random.Random(seed)
    for n in range(calls):
        drawn = _draw(skipping, rng, n)
        if drawn is None:
            continue
        for cluster in (skipping, every):
            _call(cluster, *drawn)
        assert skipping.invariant_violations() == every.invariant_violations(), (n, drawn)
        assert _memory(skipping) == _memory(every), (n, drawn)
    assert skipping.history == every.history
    assert skipping.event_log_text() == every.event_log_text()
    return len(every.invariant_violations()), checks[id(every)] - checks[id(skipping)]


CONFIGS = {
    "correct, flush=interval": ClusterConfig(flush="interval"),
    "two partitions": ClusterConfig(partition_count=2),
    "broker epochs": ClusterConfig(broker_epochs=True),
    **{flaw: FLAWS[flaw].apply(ClusterConfig(flush="interval")) for flaw in FLAW_NAMES},
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_skipping_watch_reports_what_checking_every_event_reports(name: str) -> None:
    reported = skipped = 0
    for seed in range(6):
        found, unchecked = drive(CONFIGS[name], seed, 200)
        reported += found
        skipped += unchecked
    assert skipped > 0, "the skipping watch skipped nothing"
    assert reported > 0, "the stories never broke an invariant: the test compares silence"


def _campaign(
    flaw: str, seed: int, examples: int, every_event: bool
) -> tuple[list[list[str]], list[object], bool]:
    """What a short campaign observed: every answer of `invariant_violations` in order,
    every example's steps, and whether it found the flaw."""
    answers: list[list[str]] = []
    stories: list[object] = []
    watch, answer = Cluster.watch_invariants, Cluster.invariant_violations

    def recording(self: Cluster) -> list[str]:
        out = answer(self)
        answers.append(out)
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Cluster, "watch_invariants", lambda c: watch(c, every_event=every_event))
        patch.setattr(Cluster, "invariant_violations", recording)
        single = run_single(
            resolve_config(None, flaw),
            seed,
            examples,
            50,
            None,
            lambda sink, _: stories.append([step.to_dict() for step in sink.last_steps]),
            polish_result=False,
        )
    return answers, stories, single.result is not None


# (flaw, seed, max examples): campaigns that find the flaw by its invariants early (at
# examples 14 and 58); a campaign stops at its first find.
CAMPAIGNS = [("isr-expand-before-epoch-start", 1, 400), ("lazy-truncation", 1, 400)]


@pytest.mark.parametrize(("flaw", "seed", "examples"), CAMPAIGNS)
def test_a_campaign_observes_the_same_with_either_watch(
    flaw: str, seed: int, examples: int
) -> None:
    """The campaign's own stories (its faults aimed at protocol moments): the same
    examples, the same answers to every question about the invariants, the same find."""
    skipping = _campaign(flaw, seed, examples, every_event=False)
    every = _campaign(flaw, seed, examples, every_event=True)
    assert skipping == every
    answers, _, found = every
    assert found and any(answers), "the campaign never saw a violation"


def _fails_somewhere(flaw: str) -> None:
    config = FLAWS[flaw].apply(ClusterConfig(flush="interval"))
    with pytest.raises(AssertionError, match=r"^\(\d+, "):
        for seed in range(20):
            drive(config, seed, 200)


def test_the_comparison_fails_when_a_key_misses_an_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """The differential can fail: a key blind to the leader's HW skips checks that would
    have seen the HW pass a member's log end."""
    keyed = Cluster._watch_key

    def without_hw(self: Cluster, node: str) -> list[object]:
        broker = self._nodes.get(node) if node.startswith("b") else None
        saved = [(r, r.hw) for r in broker.replicas.values()] if broker else []
        for r, _ in saved:
            r.hw = 0
        try:
            return keyed(self, node)
        finally:
            for r, hw in saved:
                r.hw = hw

    monkeypatch.setattr(Cluster, "_watch_key", without_hw)
    _fails_somewhere("hw-over-committed-isr")


def test_the_comparison_fails_when_a_driver_call_keeps_the_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """... and a driver call that changes the state without forgetting the keys (a power
    loss, a disk swap) leaves the watch blind to what it did."""
    monkeypatch.setattr(Cluster, "_forget_watch_keys", lambda self: None)
    _fails_somewhere("no-fsync")
