"""Seeds chosen by the installed Hypothesis, not pinned to one release.

A seed's exploration is a property of one Hypothesis engine (and of the state machine's
menu): the seed that makes chunk 2 of a plan the first to find acks-one under one release
finds nothing, or finds it at once, under another. A test that needs such a seed asks for it
here: a bounded search over seeds for one with the property the test rests on, under the
engine that is installed; the test then asserts the real claim (the reported winner is that
chunk, the database replays that finding, ...) on the seed it got.

A search that finds no seed in its range fails the test, with what it looked for and what it
tried: the property is then gone from the search (or the range is too small), which is a
defect to look at, never a reason to skip.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import hypothesis
import pytest

from replicheck.scale.chunk import ChunkOutcome, ChunkTask, run_chunk
from replicheck.scale.plan import ChunkSpec
from replicheck.stateful.runner import resolve_config

#: how many seeds a search may try before it fails (each probe is a short chunk)
SEARCH_SEEDS = 60


def first_seed(what: str, has_property: Callable[[int], bool], seeds: Iterable[int]) -> int:
    """The first of `seeds` with the property; a test failure naming `what` if none has it."""
    tried: list[int] = []
    for seed in seeds:
        if has_property(seed):
            return seed
        tried.append(seed)
    span = f"{tried[0]}..{tried[-1]}" if tried else "(none)"
    pytest.fail(
        f"no seed in {span} {what} under Hypothesis {hypothesis.__version__}: the search lost"
        " this behaviour, or the range is too small (tests/seed_search.py)",
        pytrace=False,
    )


@functools.cache
def chunk_outcome(flaw: str | None, seed: int, examples: int, steps: int) -> ChunkOutcome:
    """One chunk of a plan run here, without a database (what any engine would run)."""
    task = ChunkTask(resolve_config(None, flaw), ChunkSpec(0, seed, examples), steps)
    outcome = run_chunk(task)
    assert outcome.status in ("clean", "found"), outcome.error
    return outcome


def chunk_finds(flaw: str, seed: int, examples: int, steps: int) -> bool:
    """Whether a chunk of `examples` examples with this seed finds a violation on its own."""
    return chunk_outcome(flaw, seed, examples, steps).status == "found"


def first_finding_chunk(flaw: str, base: int, chunks: int, share: int, steps: int) -> int | None:
    """The index of the plan's first chunk that finds the flaw (`plan_chunks`: seed base + i)."""
    for index in range(chunks):
        if chunk_finds(flaw, base + index, share, steps):
            return index
    return None


def plan_won_by(
    flaw: str, *, chunks: int, share: int, steps: int, lowest: int, highest: int
) -> tuple[int, int]:
    """A plan's base seed whose first finding chunk has an index in [lowest, highest]; both.

    `lowest` clean chunks before the finding make "the earlier chunks ran to the end"
    checkable; chunks after it make "the later ones were cancelled" checkable.
    """
    assert 0 <= lowest <= highest < chunks

    def won_in_range(base: int) -> bool:
        winner = first_finding_chunk(flaw, base, highest + 1, share, steps)
        return winner is not None and winner >= lowest

    base = first_seed(
        f"makes a chunk {lowest}..{highest} of {chunks} ({share} examples, {steps} steps) the"
        f" first to find {flaw}",
        won_in_range,
        range(1, SEARCH_SEEDS + 1),
    )
    winner = first_finding_chunk(flaw, base, chunks, share, steps)
    assert winner is not None
    return base, winner
