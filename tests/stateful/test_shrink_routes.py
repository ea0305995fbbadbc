"""Routes: the minimizer's passes run again from the story as found in other orders
(stateful/shrink_routes.py, `_Minimizer.run`), the smallest story of all of them kept:
the routes as data, and inside the minimizer on a story a campaign found that only a
second route takes within 2 steps of the shortest known."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from replicheck.impl import ClusterConfig
from replicheck.stateful import minimize
from replicheck.stateful import shrink_routes as routes
from replicheck.stateful.minimize import polish_with_stats
from replicheck.stateful.runner import resolve_config
from replicheck.stateful.scenario import run_scenario

from .test_shrink_windows import send, step, tick


def test_every_route_starts_from_the_story_as_found_in_its_own_order() -> None:
    origin = [send("m1", process=1), tick(5), step("crash", broker=1)]
    got = routes.alternative_routes(origin)
    assert [r.name for r in got] == ["from-end", "singles", "singles-from-end"]
    assert all(list(r.start) == origin for r in got)
    # none repeats the first route (from the front, halves first)
    assert [(r.chunks_from_end, r.singles_first) for r in got] == [
        (True, False), (False, True), (True, True)
    ]  # fmt: skip


# hw-over-committed-isr, campaign seed 2 (run seed 1), the raw first failure of main's
# search at 735df44 (12 steps). Delta debugging from the front keeps the leader bounce
# (crash b1; restart b1) and ends at 7 steps that no pass shortens; trying the later chunks
# first drops the bounce with the tail and ends at 6 (within 2 of the shortest known, 4).
# (the cuts keep the notes the campaign gave them: the re-search is seeded by the steps)
RAW_SEED_2 = [
    step("send", process=0, partition=0, message="m1", wait=False),
    step("send", process=1, partition=0, message="m2", wait=True, wait_ms=40),
    step("partition", groups=[["b1"], ["b2"]], note="cuts the link between leader 1 and 2"),
    tick(101),
    step("send", process=1, partition=0, message="m3", wait=True, wait_ms=40),
    step("heal"), step("crash", broker=1), step("restart", broker=1), tick(7), tick(1),
    step("partition", groups=[["b3"], ["b2", "controller"]],
         note="leader 3 of orders-0 loses the controller and 2 right after 2 joined the ISR"),
    step("send", process=2, partition=0, message="m4", wait=True, wait_ms=40),
]  # fmt: skip
HW_OVER = resolve_config(ClusterConfig(), "hw-over-committed-isr")


def test_a_later_route_ends_shorter_than_the_first_and_is_kept(monkeypatch: Any) -> None:
    # the subsets of the story as found (round shrink6c) reach 6 on the first route too:
    # without them, this is what the routes add
    monkeypatch.setattr(minimize, "LEN_ORIGIN_SUBSETS", (0, 0))
    original = run_scenario(HW_OVER, 1, RAW_SEED_2)
    assert original.violation and original.anomaly_names == ["replica-invariant"]
    result, stats = polish_with_stats(original)
    assert [r.name for r in stats.routes] == ["found", "from-end", "singles", "singles-from-end"]
    assert stats.routes[0].end_steps == 7  # main's minimizer of 735df44 ended there too
    assert stats.chosen == "from-end" and len(result.steps) == 6, result.story()
    assert stats.flaw_needed is True
    assert not run_scenario(replace(HW_OVER, flaws=frozenset()), 1, result.steps).violation
    assert stats.runs == sum(r.runs for r in stats.routes)
    assert sum(stats.spent.values()) == stats.runs
