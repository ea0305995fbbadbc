"""Rewrites that bring in steps a story does not have (stateful/shrink_rewrite.py): the
alphabet, window substitution and the seeded re-search, as pure
moves and inside the minimizer on stories a campaign found."""

from __future__ import annotations

import random
from dataclasses import replace
from itertools import islice
from typing import Any

import pytest

from replicheck.impl import ClusterConfig
from replicheck.stateful import minimize
from replicheck.stateful import shrink_moves as moves
from replicheck.stateful import shrink_rewrite as rewrite
from replicheck.stateful.minimize import polish_with_stats
from replicheck.stateful.result import RunResult
from replicheck.stateful.runner import resolve_config
from replicheck.stateful.scenario import run_scenario
from replicheck.stateful.shrink_moves import leader_renamings, restarts_follow_stops
from replicheck.stateful.steps import Step

TICKS_MS = [5, 10, 90, 110]


def step(kind: str, **args: Any) -> Step:
    return Step(kind, args)


def send(message: str) -> Step:
    return step("send", process=0, partition=0, message=message, wait=True)


def cut(*groups: list[str]) -> Step:
    return step("partition", groups=[list(g) for g in groups])


def test_the_generic_steps_aim_each_fault_at_each_broker() -> None:
    generic = rewrite.generic_steps(3, TICKS_MS)
    assert len(generic) == 3 * 5 + 2 + len(TICKS_MS) + 2
    for b in (1, 2, 3):
        assert step("crash", broker=b) in generic and step("restart", broker=b) in generic
        others = [f"b{o}" for o in (1, 2, 3) if o != b]
        assert cut([f"b{b}"], others) in generic
        assert cut([f"b{b}"], ["controller"]) in generic
        assert cut([f"b{b}"], [*others, "controller"]) in generic
    assert [s.args["ms"] for s in generic if s.kind == "tick"] == TICKS_MS
    assert step("heal") in generic and step("elect-preferred") in generic
    # two writes: one waits for its answer, one is still in flight after the shortest tick
    writes = [s for s in generic if s.kind == "send"]
    assert [w.args.get("wait_ms") for w in writes] == [None, min(TICKS_MS)]


def test_the_alphabet_has_each_step_once_the_generic_ones_first() -> None:
    story = [send("m1"), step("crash", broker=2), step("slow-link", src="b1", dst="b2",
             extra_ms=30), send("m1")]  # fmt: skip
    letters = rewrite.alphabet(story, 3, TICKS_MS)
    generic = rewrite.generic_steps(3, TICKS_MS)
    assert letters[: len(generic)] == generic
    # the crash is a generic step already; the first send differs from the generic one
    # (its message); the slow link is the story's own
    assert letters[len(generic) :] == [send("m1"), story[2]]


def test_each_window_of_two_or_three_steps_gives_way_to_each_letter() -> None:
    story = [send("m1"), step("crash", broker=1), step("tick", ms=90), send("m2")]
    letters = [step("heal"), step("crash", broker=1)]
    candidates = list(rewrite.substitute_windows(story, letters))
    # width 2: windows at 2, 1, 0 (later first); width 3: at 1, 0. A letter already in
    # its window would make a plain deletion, so crash 1 skips the windows holding it.
    assert candidates == [
        [send("m1"), step("crash", broker=1), step("heal")],
        [send("m1"), step("crash", broker=1), step("crash", broker=1)],
        [send("m1"), step("heal"), send("m2")],
        [step("heal"), step("tick", ms=90), send("m2")],
        [send("m1"), step("heal")],
        [step("heal"), send("m2")],
    ]
    assert all(len(c) < len(story) for c in candidates)


def test_the_re_search_is_a_pure_function_of_its_seed_and_only_draws_shorter_stories() -> None:
    story = [send("m1"), step("crash", broker=1), step("tick", ms=90), step("restart", broker=1),
             step("elect-preferred"), send("m2")]  # fmt: skip
    letters = rewrite.alphabet(story, 3, TICKS_MS)
    perms = leader_renamings(3)

    def drawn(seed: str) -> list[list[Step]]:
        return list(islice(rewrite.research(story, letters, perms, random.Random(seed)), 300))

    first = drawn("7:x")
    assert first == drawn("7:x") and first != drawn("8:x")
    assert all(1 <= len(c) < len(story) for c in first)
    assert all(restarts_follow_stops(c) for c in first)
    # it reaches beyond the story: new kinds, renamed brokers, and several lengths
    kinds = {s.kind for c in first for s in c}
    assert {"partition", "heal"} <= kinds
    assert any(s.args.get("broker") == 2 for c in first for s in c)
    assert {len(c) for c in first} == set(range(1, len(story)))


def failing(flaw: str, seed: int, steps: list[Step]) -> RunResult:
    result = run_scenario(resolve_config(ClusterConfig(), flaw), seed, steps)
    assert result.violation, result.story()
    return result


def assert_same_violation_replays(result: RunResult, original: RunResult) -> None:
    again = run_scenario(result.config, result.seed, result.steps)
    assert again.history == result.history
    assert set(again.anomaly_names) & set(original.anomaly_names)


# rebooted-broker-stays-in-isr as a campaign found it (seed 0), minimized by main's
# minimizer (793a897): b1's disk is swapped and it reboots at once, staying in the ISR.
REBOOTED = [send("m1"), step("replace-disk", broker=1), step("restart", broker=1),
            step("tick", ms=1)]  # fmt: skip


@pytest.mark.usefixtures("invariants_between_steps")
def test_a_window_gives_way_to_one_generic_step() -> None:
    # The reboot and the wait after it become one crash of b2: with b2 gone, the empty b1
    # still in the ISR is what the election finds (3 steps, shorter than the zoo's 4).
    original = failing("rebooted-broker-stays-in-isr", 172, REBOOTED)
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("substitute") == 1 and stats.flaw_needed is True, stats.adopted
    assert result.steps == [send("m1"), step("replace-disk", broker=1), step("crash", broker=2)]
    assert_same_violation_replays(result, original)
    assert not without_flags(result).violation


def without_flags(result: RunResult) -> RunResult:
    return run_scenario(replace(result.config, flaws=frozenset()), result.seed, result.steps)


# no-idempotent-dedup as a campaign found it (seed 0), minimized by main's minimizer: a
# retried write is appended twice. Cutting the leader from its followers does it in 2.
NO_DEDUP = [cut(["b2"], ["b1"]),
            step("send", process=0, partition=0, message="m1", wait=True, wait_ms=14),
            cut(["c0"], ["b1"]), step("tick", ms=27)]  # fmt: skip


def test_a_shorter_wait_finds_the_two_step_story_first() -> None:
    # one step deleted and the write given another bound, then one substitution: 147
    # replays (main's minimizer, 73ad1d7, needed the re-search for it: 2 adoptions)
    original = failing("no-idempotent-dedup", 478, NO_DEDUP)
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("rewait") == 1 and "research" not in stats.adopted, stats.adopted
    assert len(result.steps) == 2 and stats.runs < 200, (stats.runs, result.story())
    assert_same_violation_replays(result, original)
    assert not without_flags(result).violation


def without_rewaits_or_substitutions(monkeypatch: Any) -> None:
    """Leave the re-search as the only pass that brings steps in (as the next two tests
    need: the rewait pass and the in-flight write of the alphabet get there first)."""
    monkeypatch.setattr(moves, "delete_and_rewait", lambda steps, ticks: iter(()))
    monkeypatch.setattr(minimize, "MAX_LEN_SUBSTITUTE", 0)


def test_the_re_search_finds_a_shorter_mechanism_of_the_same_flaw(monkeypatch: Any) -> None:
    without_rewaits_or_substitutions(monkeypatch)
    original = failing("no-idempotent-dedup", 478, NO_DEDUP)
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("research", 0) >= 1, stats.adopted
    assert len(result.steps) == 2, result.story()
    assert result.anomaly_names == original.anomaly_names
    assert stats.spent["research"] <= minimize.RESEARCH_MAX_RUNS + 1
    assert_same_violation_replays(result, original)
    assert not without_flags(result).violation
    again, again_stats = polish_with_stats(original)
    assert again.steps == result.steps and again_stats == stats  # deterministic


def test_without_the_re_search_that_story_stays_long(monkeypatch: Any) -> None:
    without_rewaits_or_substitutions(monkeypatch)
    monkeypatch.setattr(minimize, "RESEARCH_MAX_RUNS", 0)
    original = failing("no-idempotent-dedup", 478, NO_DEDUP)
    result, stats = polish_with_stats(original)
    assert "research" not in stats.adopted
    assert len(result.steps) > 2, result.story()


# stale-broker-epoch-joins-isr as a campaign found it (seed 0, unminimized).
STALE_BROKER_EPOCH = [
    cut(["b1"], ["b3"]), step("tick", ms=110),
    step("send", process=1, partition=0, message="m1", wait=True, wait_ms=40), step("heal"),
    step("crash", broker=1), step("restart", broker=1), step("tick", ms=5),
    cut(["b2"], ["controller"]), step("replace-disk", broker=1), step("restart", broker=1),
    step("tick", ms=2), cut(["b2"], ["b1"]), step("tick", ms=299),
]  # fmt: skip
# What the re-search finds from it when any failing story will do: cut b1 off, write (it
# commits with b1 alone in the ISR), swap b1's disk. It fails as well with the flaw's
# flag cleared: a loss of the only ISR member's disk, no evidence of the flaw.
ALLOWED_LOSS = [cut(["b1"], ["b2", "b3"]), send("m1"), step("replace-disk", broker=1)]


def _offers_the_allowed_loss(*args: Any) -> Any:
    """A re-search whose first draw is ALLOWED_LOSS (the real one drew it with main's
    alphabet; with the in-flight write among the letters its draws went elsewhere)."""
    yield list(ALLOWED_LOSS)


@pytest.mark.usefixtures("invariants_between_steps")
def test_a_story_that_fails_without_the_flaw_is_not_adopted(monkeypatch: Any) -> None:
    monkeypatch.setattr(rewrite, "research", _offers_the_allowed_loss)
    original = failing("stale-broker-epoch-joins-isr", 231, STALE_BROKER_EPOCH)
    assert without_flags(failing("stale-broker-epoch-joins-isr", 231, ALLOWED_LOSS)).violation
    result, stats = polish_with_stats(original)
    assert stats.flaw_needed is True and stats.spent["contrast"] >= 1
    assert not without_flags(result).violation, result.story()
    assert result.steps != ALLOWED_LOSS
    # without the requirement (the minimizer's contrast off), the same search adopts it
    monkeypatch.setattr(minimize._Minimizer, "check_contrast", _no_contrast)
    unguarded, unguarded_stats = polish_with_stats(original)
    assert unguarded_stats.flaw_needed is None
    assert unguarded.steps == ALLOWED_LOSS, unguarded.story()


def _no_contrast(self: Any) -> None:
    self.contrast = None
