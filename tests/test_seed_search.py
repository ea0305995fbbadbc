"""The seed search the seeded tests rest on: it returns the first seed with the property, and
a search that finds none fails (it never skips, and never returns a seed without it)."""

from __future__ import annotations

import hypothesis
import pytest

from seed_search import first_seed


def test_the_first_seed_with_the_property_is_returned() -> None:
    asked: list[int] = []

    def even_above_four(seed: int) -> bool:
        asked.append(seed)
        return seed > 4 and seed % 2 == 0

    assert first_seed("is even and above 4", even_above_four, range(1, 20)) == 6
    assert asked == [1, 2, 3, 4, 5, 6], "the search stops at the first seed that has it"


def test_a_search_that_finds_nothing_fails_and_says_what_it_looked_for() -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        first_seed("finds the impossible", lambda seed: False, range(3, 9))
    message = str(failed.value)
    assert "no seed in 3..8 finds the impossible" in message
    assert f"Hypothesis {hypothesis.__version__}" in message
