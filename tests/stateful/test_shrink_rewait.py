"""A deleted step and a client step's bound changed (stateful/shrink_moves.py
`delete_and_rewait`, the minimizer's "rewait" pass): as a pure move on step lists, and
inside the minimizer on a story a campaign found."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from replicheck.impl import ClusterConfig
from replicheck.stateful import shrink_moves as moves
from replicheck.stateful.minimize import polish_with_stats
from replicheck.stateful.runner import resolve_config
from replicheck.stateful.scenario import run_scenario
from replicheck.stateful.steps import Step

from .test_shrink_windows import minimized_needing_flaw, send, step, tick

CRASH, RESTART, HEAL = step("crash", broker=1), step("restart", broker=1), step("heal")


def test_a_deleted_step_lets_a_write_wait_less_each_bound_tried_in_order() -> None:
    crash = step("crash", broker=1)
    steps = [send("m1", process=1), crash, step("send", process=0, partition=0,
             message="m2", wait=True, wait_ms=40)]  # fmt: skip

    def bounded(ms: int) -> Step:
        return step("send", process=0, partition=0, message="m2", wait=True, wait_ms=ms)

    got = list(moves.delete_and_rewait(steps, [5, 90]))
    # the last step deleted leaves no bounded step; then the crash, then the first write
    assert got == [[send("m1", process=1), bounded(ms)] for ms in (5, 39, 41, 90)] + [
        [crash, bounded(ms)] for ms in (5, 39, 41, 90)
    ]
    # a send waiting for its answer, or not at all, has no bound of its own to change
    assert list(moves.delete_and_rewait([send("m1"), crash], [5])) == []


# dedup-state-lost-on-failover, campaign seed 8 (run seed 47), as main's minimizer (73ad1d7)
# left it: 6 steps, the retried write waiting 40 ms behind a leader bounce. A write that
# waits 5 ms is still in flight at the crash; then the bounce goes, and the two-step
# story of the other seeds remains (send, crash the leader before the answer).
BOUNCED_WRITE = [
    tick(1), CRASH, RESTART, step("partition", groups=[["b3"], ["b2"]]),
    step("send", process=0, partition=0, message="m1", wait=True, wait_ms=40),
    step("elect-preferred"),
]  # fmt: skip
DEDUP = resolve_config(ClusterConfig(), "dedup-state-lost-on-failover")


def test_a_write_in_flight_at_a_crash_needs_no_leader_bounce() -> None:
    original = run_scenario(DEDUP, 47, BOUNCED_WRITE)
    assert original.violation and original.anomaly_names == ["duplicate"]
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("rewait") == 1, stats.adopted
    assert len(result.steps) == 2, result.story()
    assert result.steps == [
        step("send", process=0, partition=0, message="m1", wait=True, wait_ms=5), CRASH
    ]  # fmt: skip
    assert stats.flaw_needed is True
    assert not run_scenario(replace(DEDUP, flaws=frozenset()), 47, result.steps).violation


def test_without_rewaiting_that_story_costs_four_times_the_replays(monkeypatch: Any) -> None:
    _, fast = polish_with_stats(run_scenario(DEDUP, 47, BOUNCED_WRITE))
    monkeypatch.setattr(moves, "delete_and_rewait", lambda steps, ticks: iter(()))
    result, slow = polish_with_stats(run_scenario(DEDUP, 47, BOUNCED_WRITE))
    # the re-search gets there too, with the in-flight write of the alphabet (main's
    # minimizer, without that letter, stopped at 3 steps after 1,354 replays)
    assert "rewait" not in slow.adopted and len(result.steps) == 2, result.story()
    assert fast.runs < 300 and slow.runs > 4 * fast.runs, (fast.runs, slow.runs)


# hw-over-committed-isr, campaign seed 4 (run seed 273), as main's minimizer (73ad1d7) left
# it: 19 steps under lossy, slow links, too long for the passes that retime (≤ 16). Its
# writes wait 40 ms; one millisecond less, with one step gone at a time, lets thirteen
# steps go in turn (a shorter wait moves every later step earlier, and the message-loss
# draws with it), and 5 steps remain, the known shortest for this flaw.
LOSSY_NINETEEN = [
    step("message-faults", loss=0.5, delay_lo_ms=1, delay_hi_ms=11),
    step("send", process=1, partition=0, message="m1", wait=True, wait_ms=40),
    step("send", process=0, partition=0, message="m2", wait=True, wait_ms=40),
    step("slow-link", src="b2", dst="b1", extra_ms=30), tick(32),
    step("slow-link", src="b1", dst="b2", extra_ms=40),
    step("crash", broker=2), step("restart", broker=2),
    step("slow-link", src="b2", dst="b1", extra_ms=0), tick(63),
    step("slow-link", src="b1", dst="b2", extra_ms=0), tick(90),
    step("poll", process=2, partition=0, offset=0, wait_ms=40),
    step("message-faults", loss=0.0, delay_lo_ms=1, delay_hi_ms=11),
    step("send", process=1, partition=0, message="m3", wait=True, wait_ms=40),
    step("poll", process=0, partition=0, offset=0),
    step("send", process=0, partition=0, message="m4", wait=True, wait_ms=5),
    step("message-faults", loss=0.0, delay_lo_ms=11, delay_hi_ms=41), tick(245),
]  # fmt: skip


@pytest.mark.usefixtures("invariants_between_steps")
def test_rewaiting_shortens_a_nineteen_step_story_to_four() -> None:
    # found with invariants checked between steps (before integ5); watching every event
    # sees the replica invariant break sooner, and a window deletion and the re-search
    # reach 5 steps too, without rewaiting
    original, result, stats = minimized_needing_flaw("hw-over-committed-isr", 273, LOSSY_NINETEEN)
    assert stats.adopted.get("rewait", 0) >= 10, stats.adopted
    # 5 steps; with one step deleted and another replaced by a letter of the alphabet (the
    # compound "substitute-1" pass), 4: the known shortest, under 50% message loss
    assert len(result.steps) == 4, result.story()
    assert stats.adopted.get("substitute-1") == 1, stats.adopted
    assert set(result.anomaly_names) & set(original.anomaly_names)
