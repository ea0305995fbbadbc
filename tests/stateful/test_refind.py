"""Re-finds (stateful/refind.py): a minimized story that stays long makes the campaign search
again from derived seeds and keep the shortest acceptable story. The rules on recorded
runs of one flaw (the searches replaced by replays of what a search found, so these tests
do not depend on the search engine's version), then the whole loop in a real campaign."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from replicheck.impl import ClusterConfig
from replicheck.stateful.machine import shared_producer
from replicheck.stateful.minimize import MinimizeStats, polish_with_stats
from replicheck.stateful.refind import (
    MAX_REFINDS,
    REFIND_ABOVE_STEPS,
    Found,
    acceptable,
    refind_seed,
    shortest_of_refinds,
)
from replicheck.stateful.result import RunResult
from replicheck.stateful.runner import resolve_config, run_campaign
from replicheck.stateful.scenario import run_scenario

from .test_shrink_windows import send, step, tick

FLAW = "epoch-cache-not-cleaned"
# the configuration of the campaign's examples with one producer for three client threads
EPOCH_CACHE = shared_producer(resolve_config(ClusterConfig(), FLAW), 3)

# epoch-cache-not-cleaned, campaign seed 0 (run seed 709): the minimized first failure of
# the search (Hypothesis 6.170.17). Two leader bounces without a write leave a follower
# asking for offsets forever; every route of the minimizer ends here, and no local move
# leads to the write-and-crashes mechanism below (docs/hunt.md, "Round refind").
BOUNCES_7 = [
    tick(1), step("crash", broker=1), step("restart", broker=1), tick(1),
    step("elect-preferred"), tick(1), step("crash", broker=1),
]  # fmt: skip
# what the first re-find of that campaign found and minimized (run seed 9495)
WRITE_AND_CRASHES_5 = [
    send("m1", process=0), step("crash", broker=1), tick(90),
    step("crash", broker=2), step("crash", broker=3),
]  # fmt: skip


@pytest.fixture(scope="module")
def first() -> tuple[RunResult, MinimizeStats]:
    found = run_scenario(EPOCH_CACHE, 709, BOUNCES_7)
    assert found.violation and found.anomaly_names == ["liveness"]
    result, stats = polish_with_stats(found)
    assert len(result.steps) == 7 > REFIND_ABOVE_STEPS and stats.flaw_needed
    return result, stats


def replaying(*founds: Found) -> tuple[Callable[[int], Found], list[int]]:
    """A search that returns `founds` in turn, and the seeds it was asked for."""
    asked: list[int] = []

    def search(seed: int) -> Found:
        asked.append(seed)
        return founds[len(asked) - 1]

    return search, asked


def test_a_shorter_story_found_again_replaces_a_long_one(
    first: tuple[RunResult, MinimizeStats],
) -> None:
    shorter = run_scenario(EPOCH_CACHE, 9495, WRITE_AND_CRASHES_5)
    search, asked = replaying(Found(shorter, 36))
    result, refinds = shortest_of_refinds(*first, 0, search)
    assert len(result.steps) == 5 and result.seed == 9495, result.story()
    # 5 steps read at a glance: the second re-find is not run
    assert asked == [refind_seed(0, 1)] and len(refinds) == 1
    (refind,) = refinds
    assert refind.kept and refind.found_steps == 5 and refind.minimized_steps == 5
    assert refind.cost_runs == 36 + refind.minimize_runs > 36


def test_a_story_of_other_flaws_is_not_kept_and_ends_the_refinds(
    first: tuple[RunResult, MinimizeStats],
) -> None:
    # a 4-step failure of another flaw's configuration is no story of this one
    other = resolve_config(ClusterConfig(), "acks-one")
    cut = step("partition", groups=[["b1"], ["b2", "b3"]])
    lost = run_scenario(other, 1, [cut, send("m1"), step("crash", broker=1), tick(200)])
    assert lost.violation and len(lost.steps) < 7
    search, asked = replaying(Found(lost, 12))
    result, refinds = shortest_of_refinds(*first, 3, search)
    assert result is first[0]
    # a re-find that did not shorten the story is the last
    assert asked == [refind_seed(3, 1)] and [r.kept for r in refinds] == [False]


def test_a_refind_that_shortened_a_story_still_long_is_followed_by_another() -> None:
    # the 7-step story with a tick before it, as a first story of 8 steps
    longer = run_scenario(EPOCH_CACHE, 709, [tick(5), *BOUNCES_7])
    assert longer.violation and longer.anomaly_names == ["liveness"]
    _, stats = polish_with_stats(longer)
    seven = run_scenario(EPOCH_CACHE, 709, BOUNCES_7)
    search, asked = replaying(Found(seven, 20), Found(None, 1500))
    result, refinds = shortest_of_refinds(longer, stats, 3, search)
    assert len(result.steps) == 7 and asked == [refind_seed(3, 1), refind_seed(3, 2)]
    assert len(refinds) == MAX_REFINDS and [r.kept for r in refinds] == [True, False]
    assert refinds[1].found_steps is None and refinds[1].cost_runs == 1500


def test_a_story_that_needs_no_flaw_cannot_stand_for_one_that_does(
    first: tuple[RunResult, MinimizeStats],
) -> None:
    shorter = run_scenario(EPOCH_CACHE, 9495, WRITE_AND_CRASHES_5)
    _, needs = polish_with_stats(shorter)
    assert acceptable(*first, shorter, needs)
    stats = first[1]
    fails_anyway = MinimizeStats(0, 0, False, {}, {}, flaw_needed=False)
    assert not acceptable(*first, shorter, fails_anyway)
    # a first story that fails without the flaws too asks nothing of the other
    loose = MinimizeStats(stats.runs, stats.cached, False, {}, {}, flaw_needed=False)
    assert acceptable(first[0], loose, shorter, fails_anyway)


def test_a_short_story_is_not_searched_again() -> None:
    found = run_scenario(EPOCH_CACHE, 9495, WRITE_AND_CRASHES_5)
    result, stats = polish_with_stats(found)

    def never(seed: int) -> Found:
        raise AssertionError(f"searched again from seed {seed}")

    assert shortest_of_refinds(result, stats, 0, never) == (result, ())


def test_refind_seeds_are_derived_and_distinct() -> None:
    seeds = {refind_seed(seed, index) for seed in range(20) for index in (1, 2)}
    assert len(seeds) == 40
    assert refind_seed(0, 1) == refind_seed(0, 1)


def test_a_campaign_reports_the_shortest_story_its_refinds_met() -> None:
    campaign = run_campaign(flaw=FLAW, seed=0, max_examples=1500, database_dir=None)
    result = campaign.result
    assert result is not None and "liveness" in result.anomaly_names
    # either the story is short, or the last re-find did not shorten it (or all ran)
    if len(result.steps) > REFIND_ABOVE_STEPS:
        assert campaign.refinds
        assert not campaign.refinds[-1].kept or len(campaign.refinds) == MAX_REFINDS
    kept = [r for r in campaign.refinds if r.kept]
    if kept:
        assert kept[-1].minimized_steps == len(result.steps)
    assert campaign.shrink_runs >= sum(r.cost_runs for r in campaign.refinds)
    # the flaw's flags cleared, the reported story passes
    cleared = run_scenario(ClusterConfig.from_dict({**result.config.to_dict(), "flaws": []}),
                           result.seed, result.steps)  # fmt: skip
    assert not cleared.violation
