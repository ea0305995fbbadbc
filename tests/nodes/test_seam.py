"""The node target behind the campaign's target seam: the campaign's own `StepExecutor`
drives real node processes and yields the same `RunResult` as a reference-cluster run (the
story with side effects, snapshots after faults, the log verdict), and reaps every node."""

from __future__ import annotations

from replicheck.nodes import NodeStep
from replicheck.nodes.seam import NodeSeamTarget, node_verdict, run_steps
from replicheck.stateful.target import Teardown


def S(kind: str, **args) -> NodeStep:
    return NodeStep(kind, args)


def test_the_executor_finds_uncoordinated_offsets(example, fast):
    steps = [
        S("send", client=0, node="n0", key="a", msg=1),
        S("send", client=1, node="n1", key="a", msg=2),
    ]
    result = run_steps(example("log_uncoordinated"), 2, steps, config=fast)
    assert result.violation
    assert {"lost-write", "inconsistent-offsets"} & set(result.ranked_anomaly_names)
    assert result.step_outcomes[0] == "→ ok at offset 0"
    assert [s.describe() for s in result.steps] == [s.describe() for s in steps]
    assert any(op.get("final") for op in result.history)  # teardown did the final read


def test_faults_get_snapshots_and_dropped_messages_are_told(example, fast):
    steps = [
        S("partition", groups=[["n0"], ["n1", "lin-kv"]]),
        S("send", client=0, node="n1", key="a", msg=1),
        S("drop", src="n1", dest="lin-kv"),
        S("send", client=0, node="n1", key="a", msg=2),
        S("heal"),
        S("poll", client=1, node="n0", key="a"),
    ]
    result = run_steps(example("log_linkv"), 2, steps, config=fast)
    assert not result.violation, result.log_verdict.render_text()
    assert result.step_outcomes[0] == "→ done"
    assert (
        "n1 → lin-kv `" in result.step_outcomes[3]
        and "dropped (targeted)" in result.step_outcomes[3]
    )
    snapshots = dict(result.describe_snapshots)
    assert "network: partition {n0} | {lin-kv,n1}" in snapshots[1]
    assert "network: healthy" in snapshots[5]
    assert sorted(snapshots) == [0, 1, 3, 5, 7]  # start, each fault, after teardown


def test_node_verdict_adds_committed_offsets(example, fast):
    steps = [
        S("send", client=0, node="n0", key="a", msg=1),
        S("poll", client=0, node="n0", key="a"),
        S("commit", client=0, node="n0", key="a"),
        S("list", client=1, node="n1", keys=["a"]),
    ]
    result = run_steps(example("log_local_commits"), 2, steps, config=fast)
    assert not result.violation  # the log checker does not judge committed offsets
    assert node_verdict(result).anomaly_names == ["stale-committed-offset"]


def test_the_seam_target_reaps_and_advances_time(program, pid_alive, fast):
    with NodeSeamTarget(program("stubborn"), 2, config=fast) as target:
        pids = [p.pid for p in target.nodes.processes.values()]
        assert target.advance_until(lambda: False, 30) >= 30
        assert target.advance_until(lambda: True, 5000) < 1000
        assert target.client_of(S("send", client=2, node="n0", key="a", msg=1)) == 0
        assert target.client_of(S("heal")) is None and target.invariant_violations() == []
        assert target.is_fault(S("crash", node="n0")) and not target.is_fault(
            S("list", client=0, node="n0", keys=[])
        )
        teardown = target.teardown(3)
    assert teardown == Teardown()  # nothing was sent: no key to read, nothing incomplete
    assert [p for p in pids if pid_alive(p)] == []
