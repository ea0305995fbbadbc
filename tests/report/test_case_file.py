"""Case files: round trip, canonical text, and a clear error for every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replicheck.report.case import (
    Case,
    CaseError,
    Expected,
    case_from_result,
    history_sha256,
    load_case,
    parse_case,
    save_case,
)


def _valid() -> dict:
    return {
        "format": "replicheck-case",
        "version": 1,
        "flaw": "truncate-to-hw",
        "seed": 7,
        "expected": {"violation": True, "anomalies": ["lost-write"]},
        "config": {"broker_count": 3},
        "steps": [{"kind": "send", "args": {"process": 0, "partition": 0, "message": "m0"}}],
    }


def test_case_from_result_records_flaw_seed_steps_and_verdict(lost_write) -> None:
    case = case_from_result(lost_write)
    assert case.flaw == "demo"
    assert case.seed == 7
    assert case.config == {"broker_count": 3, "topic": "orders", "flaws": ["demo"]}
    assert case.steps[0] == {
        "kind": "send",
        "args": {"process": 0, "partition": 0, "message": "m0"},
    }
    assert len(case.steps) == 7
    assert case.expected == Expected(
        True, ("inconsistent-offsets", "lost-write"), history_sha256(lost_write.history)
    )


def test_round_trip_is_exact_and_text_is_canonical(tmp_path: Path, lost_write) -> None:
    case = case_from_result(lost_write)
    path = save_case(case, tmp_path / "case.json")
    loaded = load_case(path)
    assert loaded == case
    assert loaded.path == path
    assert loaded.to_json() == path.read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    # documented field order, one step per line
    assert list(json.loads(text)) == [
        "format",
        "version",
        "flaw",
        "seed",
        "expected",
        "config",
        "engine",
        "steps",
    ]
    assert text.count('{"args": ') == 7


def test_load_case_accepts_a_report_folder(tmp_path: Path, lost_write) -> None:
    save_case(case_from_result(lost_write), tmp_path / "case.json")
    assert load_case(tmp_path).seed == 7


def test_short_hash_depends_on_the_scenario_not_on_the_verdict(lost_write) -> None:
    case = case_from_result(lost_write)
    same_scenario = Case(case.flaw, case.config, case.seed, case.steps, Expected(False, ()))
    other_seed = Case(case.flaw, case.config, 8, case.steps, case.expected)
    assert case.short_hash() == same_scenario.short_hash()
    assert case.short_hash() != other_seed.short_hash()
    assert len(case.short_hash()) == 8


def test_history_hash_sees_a_one_field_difference(lost_write) -> None:
    changed = [dict(op) for op in lost_write.history]
    changed[3]["offset"] = 2
    assert history_sha256(changed) != history_sha256(lost_write.history)
    assert history_sha256(lost_write.history) == history_sha256(list(lost_write.history))


def _mutate(path: str, value: object) -> str:
    data = _valid()
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "replicheck-case",\n "version": 1,,}', "line 2, column 15: invalid JSON"),
        ("[]", "expected a JSON object at the top level, got a list"),
        (_mutate("format", "jepsen"), '"format" must be "replicheck-case"'),
        (_mutate("version", 2), 'unsupported "version" 2'),
        (_mutate("seed", KeyError), 'missing field "seed"'),
        (_mutate("seed", "7"), "\"seed\" must be an integer, got '7'"),
        (_mutate("seed", True), '"seed" must be an integer, got True'),
        (_mutate("flaw", 3), '"flaw" must be a flaw name or null'),
        (_mutate("config", []), '"config" must be an object, got a list'),
        (_mutate("steps", {}), '"steps" must be a list, got an object'),
        (_mutate("steps.0", "send"), "steps[0]: expected an object, got a string"),
        (_mutate("steps.0.args", [1]), "steps[0].args: expected an object, got a list"),
        (_mutate("steps.0.kind", ""), "steps[0].kind: expected a step name"),
        (_mutate("steps.0.extra", 1), 'steps[0]: expected the fields "kind" and "args"'),
        (_mutate("expected.violation", "yes"), '"expected.violation" must be true or false'),
        (_mutate("expected.anomalies", []), '"expected.violation" is true exactly when'),
        (_mutate("expected.anomalies", [1]), '"expected.anomalies" must be a list of anomaly'),
        (_mutate("expected.history_sha256", "abc"), "must be 64 lowercase hex digits"),
        (_mutate("colour", "red"), "unknown field(s): colour"),
    ],
)
def test_bad_case_files_are_rejected_with_the_file_and_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.case.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        load_case(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_missing_file_is_a_case_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no such file"):
        load_case(tmp_path / "nope.case.json")


def test_the_minimal_valid_case_parses() -> None:
    case = parse_case(json.dumps(_valid()))
    assert case.flaw == "truncate-to-hw"
    assert case.expected.anomalies == ("lost-write",)
    assert case.expected.history_sha256 is None
