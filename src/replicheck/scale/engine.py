"""Which chunks a campaign still needs, and which chunk's finding it reports.

The rule, the same for every engine: chunks are ordered by index, and the campaign reports
the decisive outcome (a finding or a simulation error) of the *lowest-numbered* chunk that
has one, which is what running the chunks one after another would report. A decisive
outcome at chunk i makes every chunk after i unnecessary (cancelled, or stopped if already
running); chunks before i still finish, since one of them may hold an earlier finding.
So the reported failure does not depend on how many workers there were or which was fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from replicheck.scale.chunk import ChunkOutcome
from replicheck.scale.plan import ChunkSpec


class ChunkBook:
    """The outcomes of a plan's chunks so far, and what they make unnecessary."""

    def __init__(self, specs: Iterable[ChunkSpec]) -> None:
        self.specs = sorted(specs)
        assert len({s.index for s in self.specs}) == len(self.specs), "duplicate chunk"
        self.outcomes: dict[int, ChunkOutcome] = {}

    def record(self, outcome: ChunkOutcome) -> None:
        index = outcome.spec.index
        assert any(s.index == index for s in self.specs), f"chunk {index} is not planned"
        assert index not in self.outcomes, f"chunk {index} recorded twice"
        self.outcomes[index] = outcome

    @property
    def stop_above(self) -> int | None:
        """The lowest chunk index with a decisive outcome (later chunks are not needed)."""
        decisive = [i for i, o in self.outcomes.items() if o.decisive]
        return min(decisive) if decisive else None

    def needed(self, index: int) -> bool:
        stop = self.stop_above
        return stop is None or index < stop

    def complete(self) -> bool:
        """Every needed chunk has an outcome: the campaign's answer can no longer change."""
        return all(s.index in self.outcomes for s in self.specs if self.needed(s.index))

    def winner(self) -> ChunkOutcome | None:
        stop = self.stop_above
        return None if stop is None else self.outcomes[stop]

    def finish(self) -> list[ChunkOutcome]:
        """All outcomes in plan order; chunks that never ran are marked cancelled."""
        assert self.complete()
        return [self.outcomes.get(s.index) or ChunkOutcome(s, "cancelled") for s in self.specs]


def run_sequential(
    specs: Iterable[ChunkSpec],
    run_one: Callable[[ChunkSpec], ChunkOutcome],
    on_outcome: Callable[[ChunkOutcome], None] | None = None,
) -> list[ChunkOutcome]:
    """Run chunks one after another in this process, stopping at the first decisive one."""
    book = ChunkBook(specs)
    for spec in book.specs:
        if not book.needed(spec.index):
            break
        outcome = run_one(spec)
        assert outcome.spec == spec
        book.record(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return book.finish()
