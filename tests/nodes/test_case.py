"""Node case files: what a hunt saves is what replay reads back (steps, bounds, command,
expected anomalies, the reproduction rate); a bad file names the file and the field; replay
counts how often a violation reproduced."""

from __future__ import annotations

import dataclasses
import json

import pytest

from replicheck.nodes import NodeStep
from replicheck.nodes.case import (
    NodeCase,
    NodeCaseError,
    is_node_case,
    load_case,
    replay_case,
)
from replicheck.nodes.search import SEARCH_CONFIG

TWO_NODE_SENDS = [
    NodeStep("send", {"client": 0, "node": "n0", "key": "a", "msg": 1}),
    NodeStep("send", {"client": 1, "node": "n1", "key": "a", "msg": 2}),
]


def make_case(command: list[str], **changes) -> NodeCase:
    case = NodeCase(
        command=command,
        node_count=2,
        steps=list(TWO_NODE_SENDS),
        seed=4,
        faults=["partition"],
        config=dataclasses.replace(SEARCH_CONFIG, request_timeout_ms=700),
        expected_anomalies=["inconsistent-offsets", "lost-write"],
        expected_reproduced=(9, 10),
    )
    return dataclasses.replace(case, **changes)


def test_a_case_round_trips_with_its_bounds(tmp_path):
    case = make_case(["python3", "node.py"], expect="violation", replay_runs=4, found_by="x")
    loaded = load_case(case.save(tmp_path / "case.json"))
    assert loaded.path == tmp_path / "case.json"
    assert dataclasses.replace(loaded, path=None) == case
    assert loaded.config.request_timeout_ms == 700
    assert is_node_case(tmp_path / "case.json") and is_node_case(tmp_path)  # a report folder
    assert load_case(tmp_path).steps == case.steps


def test_the_hash_covers_what_decides_the_run():
    case = make_case(["python3", "node.py"])
    assert case.short_hash() == make_case(["python3", "node.py"], found_by="other").short_hash()
    assert case.short_hash() != make_case(["python3", "node.py"], seed=5).short_hash()
    assert (
        case.short_hash()
        != make_case(["python3", "node.py"], steps=TWO_NODE_SENDS[:1]).short_hash()
    )


def test_other_files_are_not_node_cases(tmp_path):
    reference = tmp_path / "ref.json"
    reference.write_text(json.dumps({"format": "replicheck-case", "version": 1}))
    assert not is_node_case(reference)
    assert not is_node_case(tmp_path / "missing.json")
    with pytest.raises(NodeCaseError, match=r"ref\.json: expected a replicheck-node-case file"):
        load_case(reference)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "expected version 1, got 2"),
        ({"command": []}, "'command' to be a non-empty list of strings"),
        ({"node_count": 0}, "'node_count' in 1..32"),
        ({"steps": [{"kind": "explode"}]}, "unknown step kind 'explode'"),
        ({"workload": "broadcast"}, "'workload' to be one of kafka"),
        ({"config": {"request_timeout_ms": -1}}, "request_timeout_ms must be > 0"),
        ({"config": {"warp": 9}}, "'config' fields among"),
        ({"expect": "maybe"}, "'expect' to be 'clean' or 'violation'"),
        ({"replay_runs": 0}, "'replay_runs' >= 1"),
    ],
)
def test_a_bad_case_names_the_file_and_the_field(tmp_path, change, message):
    path = tmp_path / "bad.case.json"
    data = {**make_case(["python3", "node.py"]).to_json(), **change}
    path.write_text(json.dumps(data))
    with pytest.raises(NodeCaseError, match=r"bad\.case\.json: ") as info:
        load_case(path)
    assert message in str(info.value)


def test_a_missing_field_and_broken_json_are_named(tmp_path):
    path = tmp_path / "bad.json"
    data = make_case(["python3", "node.py"]).to_json()
    del data["node_count"]
    path.write_text(json.dumps(data))
    with pytest.raises(
        NodeCaseError, match=r"bad\.json: malformed node case: missing field 'node_count'"
    ):
        load_case(path)
    path.write_text("{nope")
    with pytest.raises(NodeCaseError, match=r"bad\.json: cannot read a node case"):
        load_case(path)


def test_replay_counts_how_often_the_violation_reproduced(example):
    case = make_case(example("log_uncoordinated"))
    outcome = replay_case(case, 3)
    assert outcome.runs == 3 and 1 <= outcome.reproduced <= 3
    assert outcome.violations >= outcome.reproduced
    assert outcome.first_failing is not None and outcome.shown is outcome.first_failing
    assert outcome.summary_line().startswith(f"reproduced {outcome.reproduced}/3 (")


def test_replay_of_a_correct_node_reproduces_nothing(example):
    outcome = replay_case(make_case(example("log_linkv")), 2)
    assert (outcome.reproduced, outcome.violations, outcome.anomaly_counts) == (0, 0, {})
    assert outcome.first_failing is None and outcome.shown is outcome.last is not None
    assert outcome.summary_line() == "reproduced 0/2"
