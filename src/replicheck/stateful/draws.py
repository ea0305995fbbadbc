"""Cached strategies for the campaign's draws.

The campaign machine draws from a new element list at almost every step (its menu, idle
clients, live brokers). Building `st.sampled_from` afresh each time made Hypothesis validate
the strategy on every draw, about a fifth of an example's cost (measured with a sampling
profiler); a cached strategy over the same elements draws exactly the same values, so the
exploration of a seed does not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

_SAMPLED: dict[tuple[tuple[object, ...], tuple[type, ...]], st.SearchStrategy[object]] = {}


def sampled(elements: Sequence[T]) -> st.SearchStrategy[T]:
    """`st.sampled_from(elements)`, one strategy object per distinct element list (keyed by
    type as well as value, so that `0` and `0.0`, equal with one hash, stay apart). The
    values and the types are two tuples built at C speed: the menu's list of a few dozen
    actions is keyed at every step."""
    key = (tuple(elements), tuple(map(type, elements)))
    strategy = _SAMPLED.get(key)
    if strategy is None:
        strategy = _SAMPLED[key] = st.sampled_from(elements)
    return strategy  # type: ignore[return-value]  # keyed by the elements, so of type T


def draw(data: st.DataObject, strategy: st.SearchStrategy[T], label: str | None = None) -> T:
    """`data.draw(strategy, label=label)`, the same choice from the same choice sequence,
    without the bookkeeping `DataObject.draw` adds to every draw: a check of the global
    random state before and after (two `random.getstate()` calls), a verbosity lookup
    for the note that would print the value, and the strategy check. The campaign draws
    ~80 times per example and prints its own story, so that bookkeeping was about a
    third of the draw cost (measured with a profiler). `DataObject` keeps the underlying
    `conjecture_data` as a semi-stable attribute; without it, the public call."""
    conjecture = getattr(data, "conjecture_data", None)
    if conjecture is None:
        return data.draw(strategy, label=label)
    value: T = conjecture.draw(strategy)
    return value
