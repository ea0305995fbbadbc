"""What a replayed regression case promises, judged on hand-made runs."""

from __future__ import annotations

from dataclasses import replace

from replicheck.pytest_plugin import case_failure
from replicheck.report.case import Expected, case_from_result


def test_flaw_case_holds_while_the_anomalies_are_detected(lost_write) -> None:
    case = case_from_result(lost_write)
    assert case.flaw == "demo"
    assert case_failure(case, lost_write) is None


def test_flaw_case_fails_when_a_recorded_anomaly_is_gone(lost_write) -> None:
    case = case_from_result(lost_write)
    case = replace(case, expected=Expected(True, ("duplicate", "lost-write")))
    text = case_failure(case, lost_write)
    assert text is not None
    lines = text.splitlines()
    assert lines[0].endswith("flaw demo is no longer detected as recorded")
    assert lines[1] == "  recorded: duplicate, lost-write"
    assert lines[2] == "  now:      inconsistent-offsets, lost-write"
    assert lines[3] == f"  replay:   replicheck replay {case.path}"
    assert "  3. client 1 sends m1 to orders-0  → ok at offset 1" in lines
    assert any(line.startswith("  - orders-0@1: m1 acknowledged by op 3") for line in lines)


def test_correct_case_fails_while_it_still_violates(make_lost_write) -> None:
    result = make_lost_write(flaws=frozenset())
    case = case_from_result(result)
    text = case_failure(case, result)
    assert text is not None
    assert text.splitlines()[0].endswith("the correct configuration violates")


def test_correct_case_holds_once_the_violation_is_gone(make_lost_write) -> None:
    result = make_lost_write(flaws=frozenset())
    case = case_from_result(result)
    fixed = make_lost_write(flaws=frozenset())
    fixed.log_verdict = replace(fixed.log_verdict, anomalies={})
    assert case_failure(case, fixed) is None
