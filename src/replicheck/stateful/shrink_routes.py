"""Other routes for the minimizer: the passes again from the story as found, in other orders.

The minimizer is greedy, so where it ends depends on its route: an early deletion can take
an ingredient of a shorter mechanism while the failure still shows by another route, and
the shorter story is then several edits away, each of which fails alone. Running the same
passes again in another order (delta debugging from the end of the story, or on single
steps rather than halves) takes other deletions first and may end elsewhere; the minimizer
keeps the smallest story of all its routes. Every function here is pure: the routes are a function
of the story as found and nothing else (no flaw, no menu, no weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replicheck.stateful.steps import Step


@dataclass(frozen=True)
class Route:
    """Where a route starts, and how its delta debugging goes: the later chunks first
    (`chunks_from_end`), and single steps only, no halves or quarters (`singles_first`:
    a half of a long story goes in one deletion, and with it whatever it held)."""

    name: str
    start: tuple[Step, ...]
    chunks_from_end: bool = False
    singles_first: bool = False


def alternative_routes(origin: Sequence[Step]) -> list[Route]:
    """The routes after the first (which starts at `origin` with delta debugging from the
    front, on halves first), in the order the minimizer runs them. A route is a start and
    an order, so a later one may also start from a rewrite of the story as found (measured
    and dropped so far: ticks floored, clients as client 0; docs/hunt.md, round shrink6r)."""
    start = tuple(origin)
    return [
        Route("from-end", start, chunks_from_end=True),
        Route("singles", start, singles_first=True),
        Route("singles-from-end", start, chunks_from_end=True, singles_first=True),
    ]
