"""Every saved regression case replays byte for byte: the history hash it recorded.

`replicheck replay` only *prints* whether the history is identical, and the pytest plugin
only checks that the recorded anomalies come back; this pins the stronger promise. A
deliberate change of the simulation re-records the cases (scripts/seed_regressions.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replicheck.report.case import history_sha256, load_case
from replicheck.stateful.replay import replay_case

REGRESSIONS = Path(__file__).resolve().parents[1] / "regressions"
CASES = sorted(REGRESSIONS.glob("*.case.json"))


def test_there_are_cases_to_pin() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("path", CASES, ids=[p.name.removesuffix(".case.json") for p in CASES])
def test_a_regression_case_replays_its_recorded_history(path: Path) -> None:
    case = load_case(path)
    assert case.expected.history_sha256 is not None
    result, reproduced = replay_case(case)
    assert history_sha256(result.history) == case.expected.history_sha256
    assert reproduced
