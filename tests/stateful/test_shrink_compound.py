"""Compound moves (stateful/shrink_rewrite.py): one step deleted and a letter substituted
for another (`delete_and_substitute`, the minimizer's "substitute-1" pass), and any steps of
the story as found, snapped, by one client (`origin_subsets`, "origin-subsets"): as pure
moves on step lists, and inside the minimizer on stories where main's minimizer (735df44)
stops longer."""

from __future__ import annotations

from typing import Any

from replicheck.impl import ClusterConfig
from replicheck.stateful import minimize
from replicheck.stateful import shrink_moves as moves
from replicheck.stateful import shrink_rewrite as rewrite
from replicheck.stateful.machine import shared_producer
from replicheck.stateful.minimize import polish_with_stats
from replicheck.stateful.runner import resolve_config
from replicheck.stateful.scenario import run_scenario
from replicheck.stateful.steps import CLIENT_COUNT, Step

from .test_shrink_windows import TICKS_MS, cut, send, step, tick

CRASH, RESTART, HEAL = step("crash", broker=1), step("restart", broker=1), step("heal")


def _differences(candidate: list[Step], steps: list[Step], gone: int) -> list[tuple[int, Step]]:
    """Where `candidate` differs from `steps` minus the step `gone` (and with what)."""
    shorter = moves.without(steps, (gone,))
    assert len(candidate) == len(shorter)
    return [(i, b) for i, (a, b) in enumerate(zip(candidate, shorter, strict=True)) if a != b]


def test_a_deletion_and_a_letter_like_for_like_first() -> None:
    slow = step("slow-link", src="b1", dst="b3", extra_ms=50)
    steps = [slow, send("m1"), CRASH, tick(90)]
    letters = [cut(["b1"], ["b2", "b3"]), tick(5), send("m0"), CRASH]
    got = list(rewrite.delete_and_substitute(steps, letters))
    # the last step deleted, the slow link (a fault) replaced by the cut: the first one
    assert got[0] == [cut(["b1"], ["b2", "b3"]), send("m1"), CRASH]

    # every like-for-like replacement (a fault by a fault, a tick by a tick, a client's
    # operation by one) comes before any other
    def like_for_like(candidate: list[Step]) -> bool:
        """Is `candidate` some step deleted and another replaced by one of its role?"""
        for gone in range(len(steps)):
            differences = _differences(candidate, steps, gone)
            if len(differences) == 1:
                index, replaced = differences[0]
                if rewrite._role(candidate[index]) == rewrite._role(replaced):
                    return True
        return False

    # per place: fault → 2 fault letters (the crash in place of itself is not one), client
    # → 1, tick → 1; over 4 deletions the story keeps 3 places
    places = [moves.without(steps, (gone,)) for gone in range(4)]
    first = sum(
        sum(rewrite._role(x) == rewrite._role(s) and x != s for x in letters)
        for shorter in places
        for s in shorter
    )
    assert all(like_for_like(c) for c in got[:first])
    assert not all(like_for_like(c) for c in got[first:])
    # n deletions × (n - 1) places × letters, less each letter equal to its place's step
    # (that is a plain deletion)
    assert len(got) == 4 * 3 * len(letters) - 3
    assert list(rewrite.delete_and_substitute([send("m1"), CRASH], [send("m1")])) == [[send("m1")]]


HW = resolve_config(ClusterConfig(), "hw-over-committed-isr")


# consumer-reads-past-hw, campaign seed 9 (run seed 88, one producer shared by the
# clients), as main's minimizer left it: 9 steps. The second crash goes (its restart with
# it) while the slow link becomes a cut of the leader: 7 steps; the two ticks then merge,
# and the cut narrows to the one link: 6, the known shortest.
CONSUMER = shared_producer(resolve_config(ClusterConfig(), "consumer-reads-past-hw"), CLIENT_COUNT)
CONSUMER_9 = [
    step("slow-link", src="b1", dst="b3", extra_ms=50),
    step("send", process=0, partition=0, message="m1", wait=True, wait_ms=14),
    step("poll", process=2, partition=0, offset=0), CRASH, step("crash", broker=2),
    tick(200), step("restart", broker=2), tick(90), send("m2"),
]  # fmt: skip


def test_a_slow_link_as_a_cut_lets_a_crash_go() -> None:
    original = run_scenario(CONSUMER, 88, CONSUMER_9)
    assert original.violation and original.anomaly_names == ["inconsistent-offsets"]
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("substitute-1") == 1, stats.adopted
    assert len(result.steps) == 6, result.story()
    assert result.steps[0].kind == "partition", result.story()
    # the budget holds per route (each route counts its passes' replays afresh); the
    # candidate in hand when it runs out may replay once more (without a step it skipped)
    assert all(
        r.spent.get("substitute-1", 0) <= minimize.SUBSTITUTE_1_MAX_RUNS + 1 for r in stats.routes
    )
    assert stats.spent["substitute-1"] == sum(r.spent.get("substitute-1", 0) for r in stats.routes)


def test_tick_sizes_of_these_configurations() -> None:
    from replicheck.stateful.machine import tick_sizes_ms

    assert tick_sizes_ms(HW) == TICKS_MS == tick_sizes_ms(CONSUMER)


def test_origin_subsets_most_steps_first_snapped_one_client() -> None:
    origin = [send("m1", process=2), CRASH, tick(103), RESTART, send("m2", process=1)]
    current = [CRASH, tick(103), RESTART, send("m2")]
    got = list(rewrite.origin_subsets(current, origin, [5, 90, 110]))
    # 3 steps of 5 first (C(5, 3) = 10, less those restarting a running broker), then 2;
    # of one length those keeping the last step first
    assert [len(c) for c in got] == [3] * 7 + [2] * 7
    assert got[0] == [send("m1"), CRASH, send("m2")]
    assert [c[-1] == send("m2") for c in got[:7]] == [True] * 4 + [False] * 3
    assert [send("m1"), tick(110), send("m2")] in got
    # a restart never comes without its crash before it
    assert all(moves.restarts_follow_stops(c) for c in got)
    assert [CRASH, tick(110), RESTART] in got and [tick(110), RESTART, send("m2")] not in got
    assert rewrite.one_client([send("m1", process=2), CRASH]) == [send("m1"), CRASH]


# hw-over-committed-isr, campaign seed 7 (run seed 1089): the story as found, 9 steps. Main's
# minimizer (735df44) ends at 7 (the first write kept, the second cut kept, the 5 ms tick
# made 10); the story as found less its first write, its 1 ms tick and its second cut,
# with every write by client 0, is the 6-step story of seeds 0, 4 and 5.
HW_7_FOUND = [
    step("send", process=2, partition=0, message="m1", wait=True, wait_ms=40),
    cut(["b1"], ["b2"]), tick(110),
    step("send", process=0, partition=0, message="m2", wait=True, wait_ms=40),
    HEAL, tick(5), tick(1), cut(["b1"], ["b2", "controller"]),
    step("send", process=0, partition=0, message="m3", wait=True, wait_ms=40),
]  # fmt: skip


def test_a_subset_of_the_story_as_found_is_the_six_step_story() -> None:
    original = run_scenario(HW, 1089, HW_7_FOUND)
    assert original.violation and original.anomaly_names == ["replica-invariant"]
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("origin-subsets") == 1, stats.adopted
    assert result.steps == [
        cut(["b1"], ["b2"]), tick(110), send("m1"), HEAL, tick(5), send("m2"),
    ], result.story()  # fmt: skip


def test_without_origin_subsets_that_story_stays_at_seven(monkeypatch: Any) -> None:
    monkeypatch.setattr(minimize, "LEN_ORIGIN_SUBSETS", (0, 0))
    result, stats = polish_with_stats(run_scenario(HW, 1089, HW_7_FOUND))
    assert "origin-subsets" not in stats.spent and len(result.steps) == 7, result.story()


def test_a_budgeted_pass_stops_at_its_own_replays() -> None:
    minimizer = minimize._Minimizer(run_scenario(HW, 1089, HW_7_FOUND), 100)
    bounded = minimizer.budgeted("x", lambda steps: iter([steps[:1], steps[:2]]), 2)
    assert len(list(bounded(minimizer.steps))) == 2  # nothing spent yet
    minimizer.spent["x"] = 2  # replays of pass "x" count against it, over all its rounds
    assert list(bounded(minimizer.steps)) == []
