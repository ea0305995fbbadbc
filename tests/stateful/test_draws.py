"""The campaign's cached strategies (stateful/draws.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from replicheck.stateful.draws import sampled


def test_one_strategy_per_element_list() -> None:
    assert sampled([1, 2, 3]) is sampled([1, 2, 3])
    assert sampled((1, 2, 3)) is sampled([1, 2, 3])  # the elements decide, not the container
    assert sampled([1, 2]) is not sampled([2, 1])  # order is part of what is drawn


def test_equal_values_of_different_types_stay_apart() -> None:
    assert sampled([0]) is not sampled([0.0])
    assert sampled([True]) is not sampled([1])


@given(st.data())
def test_draws_come_from_the_elements(data: st.DataObject) -> None:
    elements = data.draw(st.lists(st.integers(0, 5), min_size=1, max_size=4))
    assert data.draw(sampled(elements)) in elements
