"""Hypothesis settings profiles `ci`, `dev` and `nightly`, plus the campaign budget of each.

A profile does two jobs: it is a registered Hypothesis profile (so `pytest
--hypothesis-profile=nightly` makes every property test in the suite work harder), and it
names a campaign budget (examples x steps per example) for `replicheck hunt --profile`.
The two are kept apart on purpose: a campaign example runs a whole simulated cluster and is
far more expensive than a property-test example, so it gets its own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, settings


@dataclass(frozen=True)
class CampaignBudget:
    """How hard one campaign searches."""

    max_examples: int
    steps: int  # Hypothesis `stateful_step_count`: maximum steps per example


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    max_examples: int  # for ordinary @given property tests in the suite
    derandomize: bool
    campaign: CampaignBudget


PROFILES: dict[str, Profile] = {
    "ci": Profile(
        name="ci",
        summary="fast and derandomized: every CI run explores the same examples",
        max_examples=100,
        derandomize=True,
        campaign=CampaignBudget(max_examples=300, steps=25),
    ),
    "dev": Profile(
        name="dev",
        summary="the default for `replicheck hunt`: about a minute on a laptop",
        max_examples=200,
        derandomize=False,
        campaign=CampaignBudget(max_examples=1500, steps=30),
    ),
    "nightly": Profile(
        name="nightly",
        summary="long: tens of thousands of examples, longer scenarios",
        max_examples=2000,
        derandomize=False,
        campaign=CampaignBudget(max_examples=50000, steps=80),
    ),
}
DEFAULT_HUNT_PROFILE = "dev"
DEFAULT_TEST_PROFILE = "ci"


def register_profiles() -> None:
    """Register every profile with Hypothesis (idempotent)."""
    for profile in PROFILES.values():
        settings.register_profile(
            profile.name,
            max_examples=profile.max_examples,
            derandomize=profile.derandomize,
            deadline=None,  # simulated clusters on a shared CI core: no wall-clock deadlines
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        )


def get_profile(name: str) -> Profile:
    """The profile called `name`; ValueError listing the choices otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(PROFILES)
        raise ValueError(f"unknown profile {name!r}; choose one of: {choices}") from None
