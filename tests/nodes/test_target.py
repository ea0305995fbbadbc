"""Fixed small step lists against the example nodes: the correct ones run clean (also under
the network faults they tolerate), each wrong one is flagged, and the fault steps do what
they say (crash loses memory, pause holds messages, the router drops and records)."""

from __future__ import annotations

import re

import pytest

from replicheck.nodes import NodeConfig, NodeStep, NodeTarget, run_nodes


def S(kind: str, **args) -> NodeStep:
    return NodeStep(kind, args)


def workload(nodes: list[str]) -> list[NodeStep]:
    """Two clients on two keys, each op via a rotating node; commits and listings cross nodes."""
    at = lambda i: nodes[i % len(nodes)]  # noqa: E731
    return [
        S("send", client=0, node=at(0), key="a", msg=1),
        S("send", client=1, node=at(1), key="a", msg=2),
        S("send", client=1, node=at(2), key="b", msg=3),
        S("poll", client=0, node=at(1), key="a"),
        S("commit", client=0, node=at(0), key="a"),
        S("send", client=0, node=at(2), key="a", msg=4),
        S("list", client=1, node=at(1), keys=["a", "b"]),
        S("poll", client=1, node=at(2), key="a"),
        S("poll", client=0, node=at(0), key="a"),
        S("commit", client=0, node=at(1), key="a"),
        S("list", client=1, node=at(2), keys=["a"]),
    ]


def assert_clean(run):
    assert run.verdict.valid, run.story() + "\n" + run.verdict.render_text()
    assert all(run.final_read_complete.values()) and set(run.final_read_complete) == {"a", "b"}
    acked = {op["value"] for op in run.history if op["f"] == "send" and op["type"] == "ok"}
    final = {
        m for op in run.history if op.get("final") and op["type"] == "ok" for _, m in op["value"]
    }
    assert acked <= final


def test_single_node_log_is_clean(example, fast):
    run = run_nodes(example("log_single"), 1, workload(["n0"]), config=fast)
    assert_clean(run)
    assert [o for o in run.step_outcomes if o.startswith("→ ok at offset")] == [
        "→ ok at offset 0",
        "→ ok at offset 1",
        "→ ok at offset 0",
        "→ ok at offset 2",
    ]
    listed = [
        op["value"]
        for op in run.history
        if op["f"] == "list_committed_offsets" and op["type"] == "ok"
    ]
    assert listed[-1] == {"a": 2}


def test_lin_kv_log_is_clean_on_three_nodes(example, fast):
    assert_clean(run_nodes(example("log_linkv"), 3, workload(["n0", "n1", "n2"]), config=fast))


FAULTS_CONFIG = NodeConfig(request_timeout_ms=1500, quiet_window_ms=20, quiesce_max_ms=1500)


@pytest.mark.parametrize(
    "faults",
    [
        [S("faults", duplicate=1.0)],
        [S("faults", delay_lo_ms=1, delay_hi_ms=15)],
        [S("drop", src="lin-kv", type="cas_ok", count=2)],
        [S("faults", loss=0.2)],
    ],
    ids=["duplicate", "delay", "drop-cas-replies", "loss"],
)
def test_lin_kv_log_tolerates_network_faults(example, faults):
    run = run_nodes(
        example("log_linkv"), 3, faults + workload(["n0", "n1", "n2"]), seed=3, config=FAULTS_CONFIG
    )
    assert run.verdict.valid, run.story() + "\n" + run.verdict.render_text()


def test_uncoordinated_offsets_are_flagged(example, fast):
    run = run_nodes(example("log_uncoordinated"), 3, workload(["n0", "n1", "n2"]), config=fast)
    assert {"lost-write", "inconsistent-offsets"} <= set(run.verdict.anomaly_names)


def test_uncoordinated_offsets_are_fine_on_one_node(example, fast):
    assert_clean(run_nodes(example("log_uncoordinated"), 1, workload(["n0"]), config=fast))


def test_a_log_on_lww_kv_is_flagged(example, fast):
    """The right algorithm on an eventually consistent service: some seeded run shows it."""
    steps = [S("send", client=0, node="n0", key="a", msg=i) for i in range(1, 5)]
    names = [
        set(run_nodes(example("log_lwwkv"), 1, steps, seed=seed, config=fast).verdict.anomaly_names)
        for seed in range(3)
    ]
    assert any(n & {"lost-write", "unseen", "inconsistent-offsets"} for n in names), names


def test_commits_in_one_nodes_memory_are_flagged(example, fast):
    run = run_nodes(example("log_local_commits"), 3, workload(["n0", "n1", "n2"]), config=fast)
    assert run.verdict.anomaly_names == ["stale-committed-offset"]
    assert run.verdict.stale_listings and run.verdict.log.valid


def test_commits_in_memory_are_lost_by_a_crash(example, fast):
    steps = [
        *workload(["n0"])[:5],
        S("crash", node="n0"),
        S("list", client=1, node="n0", keys=["a"]),
    ]
    run = run_nodes(example("log_local_commits"), 1, steps, config=fast)
    assert "stale-committed-offset" in run.verdict.anomaly_names


def test_a_crash_loses_an_in_memory_log(example, fast):
    steps = [S("send", client=0, node="n0", key="a", msg=1), S("crash", node="n0")]
    run = run_nodes(example("log_single"), 1, steps, config=fast)
    assert run.step_outcomes[1].startswith("→ restarted (pid ")
    assert run.verdict.anomaly_names == ["unseen"]


def test_pause_holds_messages_until_resume(example, fast):
    steps = [
        S("pause", node="n0"),
        S("send", client=0, node="n0", key="a", msg=1),  # no answer while stopped
        S("resume", node="n0"),
        S("quiesce"),
        S("poll", client=1, node="n0", key="a"),
    ]
    run = run_nodes(example("log_single"), 1, steps, config=fast)
    assert run.step_outcomes[1] == "→ info (timeout)"
    # delivered on resume; the new client first assigned the key from the committed offsets
    assert run.step_outcomes[4].startswith("→ assigned from committed {}; ok from 0: offsets 0..0")
    assert run.verdict.valid


def test_partition_and_targeted_drops_are_recorded(example, fast):
    steps = [
        S("partition", groups=[["n0"], ["n1", "lin-kv"]]),
        S("send", client=0, node="n0", key="a", msg=1),  # n0 cannot reach lin-kv
        S("heal"),
        S("drop", src="n1", dest="lin-kv", type="read"),
        S("send", client=1, node="n1", key="a", msg=2),  # first read lost, retried
    ]
    run = run_nodes(example("log_linkv"), 2, steps, config=FAULTS_CONFIG)
    fates = [(m["src"], m["dest"], m["fate"]) for m in run.messages if m["fate"] != "sent"]
    assert ("n0", "lin-kv", "dropped: partition") in fates
    assert fates.count(("n1", "lin-kv", "dropped: targeted")) == 1
    assert run.step_outcomes[1].startswith("→ info") or run.step_outcomes[1].startswith("→ fail")
    assert run.step_outcomes[4] == "→ ok at offset 0" or run.step_outcomes[4] == "→ ok at offset 1"
    assert run.verdict.valid
    sent = [m for m in run.messages if m["fate"] == "sent" and m["dest"] != "c0"]
    assert sent and all(m["delivered_ms"] for m in sent if m["src"] != "n0")


def test_client_crash_restarts_from_the_committed_offset(example, fast):
    steps = [
        S("send", client=0, node="n0", key="a", msg=1),
        S("send", client=0, node="n0", key="a", msg=2),
        S("poll", client=0, node="n0", key="a"),
        S("commit", client=0, node="n0", key="a"),
        S("client-crash", client=0),
        S("poll", client=0, node="n0", key="a"),
    ]
    run = run_nodes(example("log_single"), 1, steps, config=fast)
    assert run.step_outcomes[4] == "→ back as process 1"
    fresh = [op for op in run.history if op["process"] == 1]
    assert [(op["f"], op["type"]) for op in fresh] == [
        ("list_committed_offsets", "invoke"),
        ("list_committed_offsets", "ok"),
        ("poll", "invoke"),
        ("poll", "ok"),
    ]
    assert fresh[2]["offset"] == 1  # Maelstrom's assign: start at the committed offset


def test_commits_only_move_forward(example, fast):
    steps = [
        S("send", client=0, node="n0", key="a", msg=1),
        S("send", client=0, node="n0", key="a", msg=2),
        S("poll", client=0, node="n0", key="a"),
        S("commit", client=0, node="n0", key="a"),
        S("commit", client=0, node="n0", key="a"),
        S("commit", client=1, node="n0", key="a"),
    ]
    run = run_nodes(example("log_single"), 1, steps, config=fast)
    assert run.step_outcomes[3] == "→ ok"
    assert run.step_outcomes[4].startswith("→ skipped: offset 1 is not above")
    assert run.step_outcomes[5] == "→ skipped: the client has polled nothing of a"


def test_not_waiting_leaves_operations_in_flight(example, fast):
    with NodeTarget(example("log_single"), 1, config=fast) as target:
        target.start()
        assert (
            target.step(S("send", client=0, node="n0", key="a", msg=1, wait=False)) == "→ in flight"
        )
        assert (
            target.step(S("send", client=0, node="n0", key="a", msg=2))
            == "→ skipped: the client is busy"
        )
        assert target.step(S("quiesce")).startswith("→ quiet after")
        assert target._clients[0].idle


def test_steps_describe_like_incidents():
    assert (
        S("partition", groups=[["n0"], ["n2", "n1"]]).describe() == "network splits {n0} | {n1,n2}"
    )
    assert (
        S("drop", src="n1", dest="n2", type="replicate").describe() == "n1 → n2 `replicate` dropped"
    )
    assert (
        S("send", client=1, node="n0", key="a", msg=3).describe() == "client 1 sends 3 to a via n0"
    )
    assert NodeStep.from_dict(S("heal").to_dict()) == S("heal")
    with pytest.raises(ValueError, match="unknown step kind"):
        NodeStep("explode")


def test_message_sequence_view(example, fast):
    from replicheck.nodes.sequence import lanes, render_svg, render_text

    steps = [
        S("drop", src="n0", dest="lin-kv", type="read"),
        S("send", client=0, node="n0", key="<a>", msg="&1"),
    ]
    run = run_nodes(example("log_linkv"), 2, steps, config=fast)
    assert lanes(run.messages)[:3] == ["n0", "n1", "lin-kv"]
    text = render_text(run.messages)
    assert re.search(r"n0 ──✕ lin-kv\s+read\s+\(dropped: targeted\)", text), text
    assert re.search(r"c1 ──▶ n0\s+send", text) and re.search(r"n0 ──▶ c1\s+send_ok", text)
    svg = render_svg(run.messages)
    assert svg.startswith("<svg") and svg.count("✕") == 1
    hostile = [{**run.messages[0], "type": "<script>alert(1)</script>"}]
    assert "<script>" not in render_svg(hostile) and "&lt;script&gt;" in render_svg(hostile)


def test_log_ops_are_readable_by_replicheck_check(example, fast, tmp_path):
    import json

    from click.testing import CliRunner

    from replicheck.cli import cli

    run = run_nodes(example("log_uncoordinated"), 2, workload(["n0", "n1"]), config=fast)
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(op) + "\n" for op in run.log_ops()))
    result = CliRunner().invoke(cli, ["check", str(path), "--model", "log", "--no-linearizability"])
    assert result.exit_code == 1 and "lost-write" in result.output, result.output


def test_write_run_produces_readable_files(example, fast, tmp_path):
    import json

    from replicheck.nodes.artifacts import write_run

    run = run_nodes(example("log_local_commits"), 2, workload(["n0", "n1"]), config=fast)
    out = write_run(run, tmp_path / "run")
    story = (out / "story.txt").read_text()
    assert "INVALID: stale-committed-offset" in story and "1. client 0 sends 1 to a via n0" in story
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert history == [json.loads(json.dumps(op)) for op in run.history]
    assert {op["f"] for op in map(json.loads, (out / "log.jsonl").read_text().splitlines())} == {
        "send",
        "poll",
    }
    assert (out / "sequence.svg").read_text().startswith("<svg")
    assert sorted(p.name for p in (out / "stderr").iterdir()) == ["n0.txt", "n1.txt"]


def test_quiesce_is_bounded_for_a_chatty_node(program, fast):
    """A node that never stops talking: quiesce gives up at its bound and says so."""
    with NodeTarget(program("chatty"), 2, config=fast) as target:
        target.start()
        outcome = target.step(S("quiesce", window_ms=50))
        assert outcome.startswith("→ not quiet after "), outcome
        took_ms = float(outcome.split()[-2])
        assert fast.quiesce_max_ms <= took_ms < fast.quiesce_max_ms + 1000
        assert not target.quiesce(max_ms=100)


def test_wrong_step_arguments_are_a_value_error(example, fast):
    with NodeTarget(example("log_single"), 1, config=fast) as target:
        target.start()
        with pytest.raises(ValueError, match=r"step 'send': missing a required argument: 'msg'"):
            target.step(S("send", client=0, node="n0", key="a"))
        with pytest.raises(
            ValueError, match=r"step 'heal': got an unexpected keyword argument 'now'"
        ):
            target.step(S("heal", now=True))


def test_invalid_faults_are_value_errors():
    import random

    from replicheck.nodes.router import Router

    router = Router(random.Random(0), ["n0", "n1", "lin-kv"])
    with pytest.raises(ValueError, match="n0 is in two partition groups"):
        router.partition([["n0"], ["n0", "n1"]])
    with pytest.raises(ValueError, match="no node or service 'n7'"):
        router.partition([["n7"], ["n1"]])
    with pytest.raises(ValueError, match="loss must be a probability"):
        router.set_faults(loss=1.5)
    with pytest.raises(ValueError, match="delay needs"):
        router.set_faults(delay_ms=(5, 1))
    router.partition([["n0"], ["n1", "lin-kv"]])
    assert router.separated("n0", "lin-kv") and not router.separated("n1", "lin-kv")
