"""RunResult (stateful/result.py): the violation names and the one story, on real runs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from replicheck.impl import ClusterConfig
from replicheck.impl.config import at_least_once_producer
from replicheck.impl.zoo import get_flaw
from replicheck.stateful.result import (
    LIVENESS,
    REPLICA_INVARIANT,
    TEARDOWN_LINE,
    RunResult,
)
from replicheck.stateful.scenario import Step, run_scenario

ACKS_ONE = [
    Step("partition", {"groups": [["b1"], ["b2", "b3"]]}),
    Step("send", {"process": 0, "partition": 0, "message": "m1", "wait": True, "wait_ms": 40}),
    Step("crash", {"broker": 1}),
    Step("tick", {"ms": 200}),
]


def _as_result(run: object) -> RunResult:
    """The same run as a `stateful.result.RunResult` (whichever class produced it)."""
    fields = dataclasses.fields(RunResult)
    return RunResult(**{f.name: getattr(run, f.name) for f in fields})


def test_result_module_does_not_import_the_simulation() -> None:
    code = (
        "import sys, replicheck.stateful.result\n"
        "assert 'replicheck.stateful.scenario' not in sys.modules\n"
        "assert not any(m.startswith('replicheck.report') for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_lost_acknowledged_write_is_named_ranked_and_counted() -> None:
    result = _as_result(run_scenario(get_flaw("acks-one").apply(ClusterConfig()), 0, ACKS_ONE))
    assert result.violation
    assert result.flaw == "acks-one"
    assert "unseen" in result.anomaly_names
    assert result.anomaly_names == sorted(result.ranked_anomaly_names)
    assert result.violation_count("unseen") >= 1
    assert REPLICA_INVARIANT not in result.anomaly_names


def test_invariants_and_liveness_follow_the_checker_kinds() -> None:
    result = _as_result(run_scenario(ClusterConfig(), 0, ACKS_ONE))
    assert not result.violation and result.anomaly_names == []
    result.invariant_violations = [(2, "two leaders"), (5, "HW passed LEO")]
    result.liveness_violations = ["not converged"]
    assert result.ranked_anomaly_names == [REPLICA_INVARIANT, LIVENESS]
    assert result.violation_count(REPLICA_INVARIANT) == 2
    assert result.violation_count(LIVENESS) == 1
    lines = result.story_lines()
    flagged = [line.text for line in lines if line.is_violation]
    assert flagged == [
        "replica invariant violated after step 2: two leaders",
        "replica invariant violated at the end (after healing and the final read): HW passed LEO",
        "liveness: not converged",
    ]


def test_the_story_is_titled_numbered_and_ends_with_the_checker_verdict() -> None:
    result = _as_result(run_scenario(get_flaw("acks-one").apply(ClusterConfig()), 0, ACKS_ONE))
    text = result.story().splitlines()
    assert text[0] == "scenario (4 steps, seed 0):"
    assert text[2] == "  2. client 0 sends m1 to orders-0  → ok at offset 0"
    assert text[5] == TEARDOWN_LINE
    assert text[6] == ""
    assert "\n".join(text[7:]) == result.log_verdict.render_text()
    assert result.story(title="minimized:").splitlines()[0] == "minimized:"


def test_the_allowed_duplicate_of_an_at_least_once_producer_is_no_violation() -> None:
    result = _as_result(run_scenario(ClusterConfig(), 0, ACKS_ONE))
    result.log_verdict.anomalies["duplicate"] = [{"value": "m1"}]
    assert result.violation and result.anomaly_names == ["duplicate"]
    result.config = at_least_once_producer(ClusterConfig())
    assert not result.violation and result.anomaly_names == []
