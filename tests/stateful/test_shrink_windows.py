"""Window deletion with snapped ticks (stateful/shrink_moves.py `delete_windows`,
`snap_ticks`): as pure moves on step lists, and inside the minimizer on a story a campaign
found that no other pass shortens."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from replicheck.impl import ClusterConfig
from replicheck.stateful import minimize
from replicheck.stateful import shrink_moves as moves
from replicheck.stateful.minimize import MinimizeStats, polish_with_stats
from replicheck.stateful.result import RunResult
from replicheck.stateful.runner import resolve_config
from replicheck.stateful.scenario import run_scenario
from replicheck.stateful.steps import Step

TICKS_MS = [5, 10, 90, 110]


def step(kind: str, **args: Any) -> Step:
    return Step(kind, args)


def tick(ms: int) -> Step:
    return step("tick", ms=ms)


def send(message: str, process: int = 0) -> Step:
    return step("send", process=process, partition=0, message=message, wait=True)


def cut(*groups: list[str]) -> Step:
    return step("partition", groups=[list(g) for g in groups])


def test_ticks_snap_to_the_nearest_campaign_size_the_smaller_on_a_tie() -> None:
    steps = [tick(112), send("m1"), tick(13), tick(7), tick(50), tick(1), tick(600)]
    assert moves.snap_ticks(steps, TICKS_MS) == [
        tick(110), send("m1"), tick(10), tick(5), tick(10), tick(5), tick(110)
    ]  # fmt: skip
    # 50 is as far from 10 as from 90: the smaller wins
    assert moves.snap_ticks([tick(50)], [10, 90]) == [tick(10)]
    assert moves.snap_ticks([send("m1")], TICKS_MS) == [send("m1")]


def test_every_window_goes_also_but_for_its_writes_and_also_snapped() -> None:
    crash, restart = step("crash", broker=1), step("restart", broker=1)
    elect = step("elect-preferred")
    steps = [crash, tick(90), restart, send("m1"), elect, tick(112), send("m2")]
    # windows of 5 at offsets 2, 1, 0 (later first); each whole, then but for its write;
    # each followed by its snapped version where a tick changes
    assert list(moves.delete_windows(steps, TICKS_MS, widths=(5,))) == [
        [crash, tick(90)],
        [crash, tick(90), send("m1"), send("m2")],
        [crash, send("m2")],
        [crash, send("m1"), send("m2")],
        [tick(112), send("m2")],
        [tick(110), send("m2")],
        [send("m1"), tick(112), send("m2")],  # the bounce gone, the write kept
        [send("m1"), tick(110), send("m2")],
    ]
    assert len(list(moves.delete_windows(steps, TICKS_MS))) == sum(
        len(list(moves.delete_windows(steps, TICKS_MS, widths=(w,)))) for w in (6, 5, 4, 3)
    )


def test_a_window_with_fewer_than_two_faults_or_no_write_goes_whole_only() -> None:
    steps = [send("m1"), send("m2"), step("crash", broker=1), send("m3"), tick(5)]
    assert list(moves.delete_windows(steps, TICKS_MS, widths=(3,))) == [
        [send("m1"), send("m2")],
        [send("m1"), send("m2"), send("m3")],  # the crash and the tick, m3 kept
        [send("m1"), tick(5)],  # one fault only: deleting it alone is a single deletion
        [send("m3"), tick(5)],
    ]
    assert list(moves.delete_windows(steps[:2], TICKS_MS)) == []  # shorter than any window


# hw-over-committed-isr, campaign seed 3 (run seed 13056) as main's minimizer (a3621ce)
# left it: a leader bounce (b1 crashes, b2 leads, b1 restarts and the preferred election
# brings it back) around a write, then the 7-step mechanism of the other seeds with ticks
# of 112 and 13 ms. Deleting the bounce but not the write, with the ticks back at the
# campaign's 110 and 10, is that mechanism; no single other edit replays.
BOUNCED = [
    step("crash", broker=1), tick(90), step("restart", broker=1), send("m1", process=2),
    step("elect-preferred"), cut(["b1"], ["b3"]), tick(112), step("heal"), tick(13),
    cut(["b1"], ["b3", "controller"]), send("m2"),
]  # fmt: skip
HW_OVER = resolve_config(ClusterConfig(), "hw-over-committed-isr")


def test_a_leader_bounce_around_a_write_goes_and_the_ticks_snap_back() -> None:
    original = run_scenario(HW_OVER, 13056, BOUNCED)
    assert original.violation and original.anomaly_names == ["replica-invariant"]
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("windows") == 1, stats.adopted
    assert len(result.steps) == 7, result.story()
    assert [s.kind for s in result.steps[:4]] == ["send", "partition", "tick", "heal"]
    assert result.anomaly_names == ["replica-invariant"] and stats.flaw_needed is True
    again = run_scenario(HW_OVER, 13056, result.steps)
    assert again.history == result.history


def test_without_window_deletion_that_story_stays_long(monkeypatch: Any) -> None:
    monkeypatch.setattr(minimize, "MIN_LEN_WINDOWS", 100)
    # the re-search (whose draws changed with the in-flight write among its letters) finds
    # a 6-step story of its own after 2,000 replays: off, so that only windows are missing
    monkeypatch.setattr(minimize, "RESEARCH_MAX_RUNS", 0)
    # and so does the splice (the opening as found, the rest of the story): off too
    monkeypatch.setattr(minimize, "MAX_LEN_SPLICE", 0)
    original = run_scenario(HW_OVER, 13056, BOUNCED)
    result, stats = polish_with_stats(original)
    assert "windows" not in stats.adopted
    assert len(result.steps) > 9, result.story()


def poll(offset: int, partition: int = 0) -> Step:
    return step("poll", process=2, partition=partition, offset=offset)


def test_deleted_writes_lower_the_offsets_of_later_polls_of_their_partition() -> None:
    other = step("send", process=0, partition=1, message="m3", wait=True)
    steps = [send("m1"), poll(1), send("m2"), other, poll(3), poll(1), poll(2, partition=1)]
    assert moves.without_shifted(steps, [0, 2, 3]) == [
        poll(0), poll(1), poll(0), poll(1, partition=1)
    ]  # fmt: skip
    assert moves.without_shifted(steps, [1]) == moves.without(steps, [1])  # no write went
    # a window with writes in it (m2, m3, the poll at 3): deleted plain, then with the
    # later polls shifted
    windows = list(moves.delete_windows(steps, TICKS_MS, widths=(3,)))
    plain = [send("m1"), poll(1), poll(1), poll(2, partition=1)]
    assert windows.index(plain) + 1 == windows.index(
        [send("m1"), poll(1), poll(0), poll(1, partition=1)]
    )


# consumer-reads-past-hw, campaign seed 5 (run seed 25446), as main's minimizer (a3621ce)
# left it: three writes, then the 6-step mechanism of the other seeds with its poll at
# offset 3, past the writes. The writes go only if the poll reads from 0 then.
THREE_WRITES_FIRST = [
    send("m1"), send("m2"), send("m3"), cut(["b1"], ["b2"]),
    step("send", process=0, partition=0, message="m4", wait=False),
    step("poll", process=2, partition=0, offset=3), step("crash", broker=1), tick(90),
    send("m5", process=1),
]  # fmt: skip


def test_three_writes_go_and_the_poll_reads_where_their_records_were() -> None:
    config = resolve_config(ClusterConfig(), "consumer-reads-past-hw")
    original = run_scenario(config, 25446, THREE_WRITES_FIRST)
    assert original.violation
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("windows") == 1, stats.adopted
    assert len(result.steps) == 6, result.story()
    polls = [s for s in result.steps if s.kind == "poll"]
    assert [p.args["offset"] for p in polls] == [0]
    assert set(result.anomaly_names) & set(original.anomaly_names)


# stale-broker-epoch-joins-isr, campaign seed 0 (run seed 231), as main's minimizer left
# it (10 steps). Without the controller cut b1 rejoins 1 ms too late unless the tick
# before it is one ms shorter; then the second cut and the long wait go too (7 steps,
# passing with the flag cleared, as on every other seed that was tried).
STALE_TEN = [
    send("m1"), step("crash", broker=1), step("restart", broker=1), tick(5),
    cut(["b2"], ["controller"]), step("replace-disk", broker=1), step("restart", broker=1),
    tick(2), cut(["b2"], ["b1"]), tick(299),
]  # fmt: skip


def minimized_needing_flaw(
    flaw: str, seed: int, steps: list[Step]
) -> tuple[RunResult, RunResult, MinimizeStats]:
    """The story `steps` (failing under `flaw` on cluster seed `seed`) and its minimized
    form, which must still need the flaw: it passes with the flaw's flags cleared."""
    config = resolve_config(ClusterConfig(), flaw)
    original = run_scenario(config, seed, steps)
    assert original.violation
    result, stats = polish_with_stats(original)
    assert stats.flaw_needed is True
    assert not run_scenario(replace(config, flaws=frozenset()), seed, result.steps).violation
    return original, result, stats


@pytest.mark.usefixtures("invariants_between_steps")
def test_a_tick_one_millisecond_shorter_lets_a_cut_go() -> None:
    _, result, stats = minimized_needing_flaw("stale-broker-epoch-joins-isr", 231, STALE_TEN)
    assert stats.adopted.get("retime", 0) >= 1, stats.adopted
    assert len(result.steps) == 7, result.story()
    assert tick(4) in result.steps
