"""Fixtures for the campaign's tests."""

from __future__ import annotations

import pytest

from replicheck.impl import Cluster


@pytest.fixture
def invariants_between_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The campaign's cluster without `watch_invariants`: invariants checked between steps only.

    Some minimizer tests start from a story built to need one particular move. Watching
    every event sees a broken state sooner, and the minimizer then reaches a shorter story
    by another route, so the move under test is never needed; these tests keep the
    observations their stories were built for."""
    monkeypatch.setattr(Cluster, "watch_invariants", lambda self: None)
