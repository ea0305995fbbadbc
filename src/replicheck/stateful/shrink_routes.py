"""Other starting points for the minimizer: the story as found, rewritten in one generic way.

The minimizer is greedy, so where it ends depends on its route: an early deletion can take
an ingredient of a shorter mechanism while the failure still shows by another route, and
the shorter story is then several edits away, each of which fails alone. Running the same
passes again from a slightly different start (every tick floored to a campaign size, every
client operation from client 0) takes other deletions first and may end elsewhere; the
minimizer keeps the smallest story of all its routes. Every function here is pure: the
routes are a function of the story as found, the campaign's tick sizes and nothing else
(no flaw, no menu, no weights).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from replicheck.stateful.steps import Step

Steps = list[Step]


@dataclass(frozen=True)
class Route:
    """Where a route starts, and whether its delta debugging tries the later chunks first."""

    name: str
    start: tuple[Step, ...]
    chunks_from_end: bool = False


def from_client_zero(steps: Sequence[Step]) -> Steps:
    """Every send and poll from client 0: which client a write came from rarely matters,
    and when it does not, one client is one thing less for the story to say."""
    return [
        Step(step.kind, {**step.args, "process": 0}) if "process" in step.args else step
        for step in steps
    ]


def _key(steps: Sequence[Step]) -> str:
    return json.dumps([step.to_dict() for step in steps], sort_keys=True)


def alternative_routes(origin: Sequence[Step]) -> list[Route]:
    """The routes after the first (which starts at `origin` itself), in the order the
    minimizer runs them, without repeats and without a start equal to `origin` unless the
    route differs in its pass order."""
    candidates = [
        Route("from-end", tuple(origin), chunks_from_end=True),
        Route("client-0", tuple(from_client_zero(origin))),
        Route("client-0-from-end", tuple(from_client_zero(origin)), chunks_from_end=True),
    ]
    routes: list[Route] = []
    seen = {(_key(origin), False)}
    for route in candidates:
        key = (_key(route.start), route.chunks_from_end)
        if key not in seen:
            seen.add(key)
            routes.append(route)
    return routes
