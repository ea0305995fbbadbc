"""The runner's cost measures change no exploration (stateful/runner.py)."""

from __future__ import annotations

import gc

import pytest

from replicheck.impl import ClusterConfig
from replicheck.stateful import runner
from replicheck.stateful.machine import Sink


def explored(seed: int, examples: int) -> list[list[dict[str, object]]]:
    """Every example's step list of one seeded campaign (no database, no minimizing)."""
    seen: list[list[dict[str, object]]] = []

    def on_example(sink: Sink, elapsed_s: float) -> None:
        seen.append([step.to_dict() for step in sink.last_steps])

    runner.run_single(ClusterConfig(), seed, examples, 12, None, on_example, polish_result=False)
    return seen


def test_fewer_collections_explores_the_same_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    with_fewer = explored(3, 12)
    monkeypatch.setattr(runner, "CAMPAIGN_GC_THRESHOLD", 0)  # the default thresholds
    assert explored(3, 12) == with_fewer
    assert len(with_fewer) >= 12 and any(len(steps) > 5 for steps in with_fewer)


def test_fewer_collections_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    with runner.fewer_collections():
        assert gc.get_threshold()[0] >= runner.CAMPAIGN_GC_THRESHOLD
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), runner.fewer_collections():
        raise RuntimeError("a campaign that crashes")
    assert gc.get_threshold() == before
