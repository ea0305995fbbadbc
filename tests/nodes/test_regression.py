"""Node cases as regression tests: a `violation` case passes while the checker still
catches the wrong node, a `clean` case passes once the node no longer violates -- directly
and through the pytest plugin (a failure shows the story, not a traceback)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from replicheck.nodes import NodeStep
from replicheck.nodes.case import NodeCase
from replicheck.nodes.regression import node_case_failure

SENDS = [
    NodeStep("send", {"client": 0, "node": "n0", "key": "a", "msg": 1}),
    NodeStep("send", {"client": 1, "node": "n1", "key": "a", "msg": 2}),
]


def case_for(command: list[str], expect: str) -> NodeCase:
    return NodeCase(
        command=command,
        node_count=2,
        steps=list(SENDS),
        expected_anomalies=["inconsistent-offsets", "lost-write"],
        expect=expect,
        replay_runs=2,
    )


@pytest.mark.parametrize(
    ("node", "expect", "fails_with"),
    [
        ("log_uncoordinated", "violation", None),
        ("log_uncoordinated", "clean", "the node still violates"),
        ("log_linkv", "clean", None),
        ("log_linkv", "violation", "the recorded violation is no longer detected"),
    ],
)
def test_the_promise_of_a_node_case(example, node, expect, fails_with):
    failure = node_case_failure(case_for(example(node), expect))
    if fails_with is None:
        assert failure is None
    else:
        assert failure is not None and fails_with in failure
        assert "1. client 0 sends 1 to a via n0 →" in failure  # the story, with outcomes


def test_node_cases_run_in_the_pytest_plugin(example, tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    wrong = example("log_uncoordinated")
    case_for(wrong, "violation").save(cases / "still-caught.case.json")
    case_for(wrong, "clean").save(cases / "not-fixed.case.json")
    broken = dataclasses.replace(case_for(wrong, "clean"), command=["/nonexistent/node"])
    broken.save(cases / "broken.case.json")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--replicheck-cases",
         str(cases), str(cases)],
        cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "2 failed, 1 passed" in out
    assert "not-fixed.case.json: the node still violates" in out
    assert "the node cannot take part: n0: cannot start '/nonexistent/node'" in out
    assert "Traceback" not in out
