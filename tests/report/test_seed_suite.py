"""The seed regression suite is what the campaign wrote, one case per zoo flaw it found."""

from __future__ import annotations

import re
from pathlib import Path

from replicheck.impl.zoo import FLAWS
from replicheck.report.case import load_case

REGRESSIONS = Path(__file__).resolve().parents[1] / "regressions"


def test_each_seed_case_is_a_recorded_violation_of_the_flaw_it_is_named_after() -> None:
    paths = sorted(REGRESSIONS.glob("*.case.json"))
    assert len(paths) >= 7
    for path in paths:
        case = load_case(path)
        assert case.flaw == path.name.removesuffix(".case.json"), path
        assert case.flaw in FLAWS, path
        assert case.expected.violation and case.expected.anomalies, path
        assert case.expected.history_sha256 is not None, path  # written by the report writer


def test_the_readme_names_exactly_the_flaws_without_a_case() -> None:
    have = {p.name.removesuffix(".case.json") for p in REGRESSIONS.glob("*.case.json")}
    readme = (REGRESSIONS / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([a-z0-9-]+)`", readme.split("no case yet")[-1]))
    assert listed == set(FLAWS) - have
