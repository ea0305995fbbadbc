"""Re-finds: when a minimized story is still long, search again and keep the shortest story.

The minimizer edits one failing run, and its moves are local: deletions, merges, renamings,
a letter substituted here and there. A run that met a long mechanism of a flaw first (two
leader bounces where a write and three crashes do) ends on that mechanism's shortest form,
and no local move leads from there to the other mechanism: it needs most steps replaced at
once. The search itself reaches the other mechanism easily; the first failure it met is an
accident of its seed. So when the minimized story is longer than `REFIND_ABOVE_STEPS`,
the same search runs again from another seed (derived from the campaign's) to its first
failure, which is minimized the same way, and the shorter story is kept; again, up to
`MAX_REFINDS` times, while each re-find shortens the story and it is still long. A
re-find that ends no shorter is evidence that the search's floor for this flaw is there
(measured: after such a re-find, a second one shortened the story in 4 of 34 cases, by
one step, at the cost of a search and a minimization each). This is what Hypothesis's own engine does when it meets a
bug again during generation: it keeps the smaller example.

A re-found story replaces the first only if it shows one of the first story's anomaly
kinds, under the same flaws, and -- when the first story needed the flaws (it passes with
their flags cleared) -- needs them too; and only if it is strictly shorter. Everything
here is deterministic: the seeds are derived, the searches run without an example
database, and the minimizer is a pure function of the run it minimizes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from replicheck.stateful.minimize import MinimizeStats, polish_with_stats
from replicheck.stateful.result import RunResult

#: stories up to this length read at a glance: no re-find for them
REFIND_ABOVE_STEPS = 6
#: searches run at most, after the first, per minimized failure (each costs one search to
#: its first failure and one minimization: measured in benchmarks/bench_minimize.py)
MAX_REFINDS = 2


@dataclass(frozen=True)
class Found:
    """What one seeded search returned: its first failing run (unminimized), if any."""

    result: RunResult | None
    examples: int
    #: the simulation itself failed (a bug in replicheck): the traceback
    error: str | None = None


@dataclass(frozen=True)
class Refind:
    """One re-find: its seed, what it found, and whether its story was kept."""

    seed: int
    examples: int
    found_steps: int | None  # the failing run's length as found (None: nothing found)
    minimized_steps: int | None
    minimize_runs: int
    kept: bool
    error: str | None = None

    @property
    def cost_runs(self) -> int:
        """Cluster runs it took: the search's examples and the minimizer's replays."""
        return self.examples + self.minimize_runs


def refind_seed(seed: int, index: int) -> int:
    """The search seed of re-find `index` (1, 2, ...) of a campaign seeded with `seed`."""
    assert index >= 1
    return random.Random(f"refind:{seed}:{index}").randrange(2**32)


def acceptable(first: RunResult, first_stats: MinimizeStats, other: RunResult,
               other_stats: MinimizeStats) -> bool:  # fmt: skip
    """May `other` (a re-found, minimized run) stand for `first`? The same flaws, one of
    first's anomaly kinds, and the flaws needed if first needed them."""
    if other.config.flaws != first.config.flaws or not other.violation:
        return False
    if not set(other.anomaly_names) & set(first.anomaly_names):
        return False
    return not (first_stats.flaw_needed and not other_stats.flaw_needed)


def shortest_of_refinds(
    first: RunResult,
    first_stats: MinimizeStats,
    seed: int,
    search: Callable[[int], Found],
    *,
    max_refinds: int = MAX_REFINDS,
) -> tuple[RunResult, tuple[Refind, ...]]:
    """`first` (minimized), or the shortest acceptable story of up to `max_refinds`
    re-finds: `search(seed)` runs the campaign's search from another seed. Each re-find
    runs only while the kept story is longer than `REFIND_ABOVE_STEPS` and the re-find
    before (if any) shortened it."""
    best, refinds = first, list[Refind]()
    for index in range(1, max_refinds + 1):
        if len(best.steps) <= REFIND_ABOVE_STEPS or (refinds and not refinds[-1].kept):
            break
        refind_at = refind_seed(seed, index)
        found = search(refind_at)
        if found.result is None:
            refinds.append(Refind(refind_at, found.examples, None, None, 0, False, found.error))
            continue
        minimized, stats = polish_with_stats(found.result)
        shorter = len(minimized.steps) < len(best.steps)
        kept = shorter and acceptable(first, first_stats, minimized, stats)
        if kept:
            best = minimized
        found_steps, minimized_steps = len(found.result.steps), len(minimized.steps)
        refind = Refind(refind_at, found.examples, found_steps, minimized_steps, stats.runs, kept)
        refinds.append(refind)
    return best, tuple(refinds)


__all__ = [
    "MAX_REFINDS",
    "REFIND_ABOVE_STEPS",
    "Found",
    "Refind",
    "acceptable",
    "refind_seed",
    "shortest_of_refinds",
]
