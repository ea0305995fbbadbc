"""The seed regression suite is what the campaign wrote, one case per zoo flaw."""

from __future__ import annotations

from pathlib import Path

from replicheck.impl.zoo import FLAWS
from replicheck.report.case import load_case

REGRESSIONS = Path(__file__).resolve().parents[1] / "regressions"


def test_each_seed_case_is_a_recorded_violation_of_the_flaw_it_is_named_after() -> None:
    paths = sorted(REGRESSIONS.glob("*.case.json"))
    assert paths
    for path in paths:
        case = load_case(path)
        assert case.flaw == path.name.removesuffix(".case.json"), path
        assert case.flaw in FLAWS, path
        assert case.expected.violation and case.expected.anomalies, path
        assert case.expected.history_sha256 is not None, path  # written by the report writer


def test_every_zoo_flaw_has_a_campaign_found_case() -> None:
    have = {p.name.removesuffix(".case.json") for p in REGRESSIONS.glob("*.case.json")}
    assert have == set(FLAWS), f"flaws without a case: {sorted(set(FLAWS) - have)}"
