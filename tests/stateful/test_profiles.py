"""Profiles are registered with Hypothesis and carry campaign budgets."""

import pytest
from hypothesis import settings

from replicheck.stateful.profiles import PROFILES, get_profile, register_profiles


def test_every_profile_is_registered_with_hypothesis() -> None:
    register_profiles()
    for name, profile in PROFILES.items():
        registered = settings.get_profile(name)
        assert registered.max_examples == profile.max_examples
        assert registered.deadline is None


def test_budgets_grow_from_ci_to_nightly() -> None:
    ci, dev, nightly = (PROFILES[n].campaign for n in ("ci", "dev", "nightly"))
    assert ci.max_examples < dev.max_examples < nightly.max_examples
    assert ci.steps <= dev.steps <= nightly.steps


def test_unknown_profile_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="ci, dev, nightly"):
        get_profile("weekly")
