"""Windows replaced by a tick of the time they took (stateful/shrink_moves.py
`windows_as_ticks`, the minimizer's "timed-windows" pass): as a pure move on step lists,
and inside the minimizer on stories a campaign found that no other pass shortens."""

from __future__ import annotations

from typing import Any

from replicheck.stateful import shrink_moves as moves
from replicheck.stateful.steps import MAX_STEP_MS, Step


def step(kind: str, **args: Any) -> Step:
    return Step(kind, args)


def tick(ms: int) -> Step:
    return step("tick", ms=ms)


def send(message: str, process: int = 0) -> Step:
    return step("send", process=process, partition=0, message=message, wait=True)


CRASH, RESTART, HEAL = step("crash", broker=1), step("restart", broker=1), step("heal")


def test_each_window_becomes_one_tick_of_its_time_later_windows_first() -> None:
    steps = [send("m1"), CRASH, tick(90), RESTART, send("m2"), HEAL]
    durations_ms = [30, 0, 90, 0, 12, 0]
    assert list(moves.windows_as_ticks(steps, durations_ms, widths=(3,))) == [
        [send("m1"), CRASH, tick(90), tick(12)],  # restart, m2, heal: 12 ms
        [send("m1"), CRASH, tick(102), HEAL],  # tick, restart, m2
        [send("m1"), tick(90), send("m2"), HEAL],  # crash, tick, restart
        [tick(120), RESTART, send("m2"), HEAL],  # m1, crash, tick
    ]


def test_a_window_that_took_no_time_or_one_step_yields_nothing() -> None:
    steps = [CRASH, RESTART, HEAL, tick(5)]
    # the only windows with time in them end in the tick; width 1 is ops-as-ticks' job
    assert list(moves.windows_as_ticks(steps, [0, 0, 0, 5], widths=(2, 1))) == [
        [CRASH, RESTART, tick(5)]
    ]
    assert list(moves.windows_as_ticks(steps, [0, 0, 0, 0], widths=(2, 3))) == []
    assert list(moves.windows_as_ticks(steps, [0, 0, 0, 5], widths=(5,))) == []


def test_the_tick_is_capped_at_a_step_s_maximum_and_widths_go_in_order() -> None:
    steps = [tick(MAX_STEP_MS), tick(MAX_STEP_MS), CRASH]
    got = list(moves.windows_as_ticks(steps, [MAX_STEP_MS, MAX_STEP_MS, 0], widths=(3, 2)))
    assert got == [
        [tick(MAX_STEP_MS)],
        [tick(MAX_STEP_MS), tick(MAX_STEP_MS)],  # the tick and the crash
        [tick(MAX_STEP_MS), CRASH],
    ]
