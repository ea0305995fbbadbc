"""The standalone search: Hypothesis generates step lists, a failing run is minimized by
re-running candidates (kept only if they fail every re-run), replay counts reproductions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.nodes.case import case_from_hunt, load_case
from replicheck.nodes.search import (
    FAULTS,
    Runner,
    hunt,
    parse_faults,
    replay,
    step_lists,
)
from replicheck.nodes.steps import CLIENT_KINDS


def test_parse_faults():
    assert parse_faults("none") == ()
    assert parse_faults("partition, crash") == ("partition", "crash")
    with pytest.raises(ValueError, match="unknown fault 'meteor'"):
        parse_faults("partition,meteor")


@settings(max_examples=30, deadline=None)
@given(st.data(), st.lists(st.sampled_from(FAULTS), unique=True), st.integers(1, 4))
def test_generated_steps_use_only_the_chosen_faults(data, faults, node_count):
    steps = data.draw(step_lists(node_count, faults, max_steps=12))
    assert 6 <= len(steps) <= 12
    allowed = set(CLIENT_KINDS)
    kinds = {
        "partition": {"partition", "heal"},
        "loss": {"faults", "drop"},
        "delay": {"faults"},
        "duplicate": {"faults"},
        "crash": {"crash"},
        "pause": {"pause", "resume"},
        "clients": {"client-crash"},
    }
    for fault in faults:
        allowed |= kinds[fault] | {"wait"}
    assert {s.kind for s in steps} <= allowed
    msgs = [s.args["msg"] for s in steps if s.kind == "send"]
    assert msgs == list(range(1, len(msgs) + 1))  # unique, numbered in order
    nodes = {f"n{i}" for i in range(node_count)}
    assert all(s.args["node"] in nodes for s in steps if "node" in s.args)


def test_hunt_finds_and_minimizes_uncoordinated_offsets(example, tmp_path):
    result = hunt(
        example("log_uncoordinated"),
        3,
        faults=(),
        max_examples=10,
        seed=1,
        minimize_runs=2,
        replay_runs=3,
        minimize_budget_s=30,
    )
    assert result.found is not None
    assert {"lost-write", "inconsistent-offsets"} & set(result.anomalies)
    assert 2 <= len(result.minimized) <= 4  # two sends to one key via two nodes suffice
    assert len({s.args["node"] for s in result.minimized if s.kind == "send"}) == 2
    assert result.reproduced[1] == 3 and result.reproduced[0] >= 1
    summary = result.to_json()
    assert summary["result"] == "violation" and summary["examples"] == result.examples
    assert result.minimized_run is not None and result.minimized_run.steps == result.minimized
    assert set(result.minimized_anomalies) & set(result.anomalies)
    case = load_case(case_from_hunt(result).save(tmp_path / "case.json"))
    assert case.steps == result.minimized and case.node_count == 3
    runner = Runner(case.command, case.node_count, case.seed)
    assert replay(runner, case.steps, set(case.expected_anomalies), runs=2)[0] >= 1


def test_hunt_on_a_correct_node_is_clean(example):
    result = hunt(example("log_linkv"), 2, max_examples=4, max_steps=10, seed=2)
    assert result.found is None and result.examples == 4 and result.to_json()["result"] == "clean"


def test_a_broken_node_stops_the_hunt_with_its_error(program):
    from replicheck.nodes import NodeProtocolError

    with pytest.raises(NodeProtocolError, match="not a JSON message"):
        hunt(program("bad", "echo-to-stdout"), 1, faults=(), max_examples=5, seed=0)


def test_the_seed_chooses_the_examples_whatever_the_profile(example):
    """The suite runs under a derandomized profile; hunt's seed must still matter."""
    seen: dict[int, list] = {}
    for seed in (0, 1):
        runs: list = []
        hunt(
            example("log_single"),
            1,
            faults=(),
            max_examples=2,
            max_steps=4,
            seed=seed,
            on_example=lambda run, runs=runs: runs.append([s.to_dict() for s in run.steps]),
        )
        seen[seed] = runs
    again: list = []
    hunt(
        example("log_single"),
        1,
        faults=(),
        max_examples=2,
        max_steps=4,
        seed=0,
        on_example=lambda run: again.append([s.to_dict() for s in run.steps]),
    )
    assert seen[0] != seen[1] and again == seen[0]
