"""The report folder of a node run: every file is there, the page escapes everything a node
can say (message types, bodies, stderr), and the same case lands in the same folder."""

from __future__ import annotations

import json

from replicheck.nodes import NodeStep, run_nodes
from replicheck.nodes.case import NodeCase, load_case
from replicheck.nodes.page import PageFacts
from replicheck.nodes.report import FILES, report_name, write_report
from replicheck.nodes.sequence import render_svg, step_labels

SENDS = [
    NodeStep("send", {"client": 0, "node": "n0", "key": "a", "msg": 1}),
    NodeStep("send", {"client": 1, "node": "n1", "key": "a", "msg": 2}),
]


def _case(command: list[str], steps: list[NodeStep], nodes: int) -> NodeCase:
    return NodeCase(command=command, node_count=nodes, steps=steps, seed=3)


def test_the_folder_has_every_file(example, tmp_path, fast):
    command = example("log_uncoordinated")
    run = run_nodes(command, 2, SENDS, seed=3, config=fast)
    assert run.violation
    case = _case(command, SENDS, 2)
    found = run_nodes(command, 2, [*SENDS, SENDS[0]], seed=3, config=fast)
    facts = PageFacts(title="x", reproduced=(7, 10), search_command="replicheck hunt --node y")
    folder = write_report(run, tmp_path, case, facts, found=found)
    assert folder.name == report_name(case, run) and folder.name.startswith("nodes-")
    for name in (*FILES, "report.html", "stderr/n0.txt", "stderr/n1.txt", "found/story.txt"):
        assert (folder / name).is_file(), name
    assert load_case(folder).steps == SENDS
    story = (folder / "story.txt").read_text()
    assert "reproduced: 7/10 re-runs" in story and f"replicheck replay {folder}/case.json" in story
    assert "-- as first found (3 steps) --" in story
    page = (folder / "report.html").read_text()
    assert (
        "7/10 re-runs of these steps" in page and '<svg xmlns="http://www.w3.org/2000/svg"' in page
    )
    history = [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]
    assert history == run.history
    log = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    assert {op["f"] for op in log} <= {"send", "poll"}
    # the same case and verdict land in the same folder
    assert write_report(run, tmp_path, case, facts) == folder


def test_the_page_escapes_everything_a_node_says(program, tmp_path, fast):
    command = program("hostile")
    steps = [NodeStep("send", {"client": 0, "node": "n0", "key": "a", "msg": 1})]
    run = run_nodes(command, 1, steps, config=fast)
    assert any("<script>" in m["type"] for m in run.messages)  # the node did say it
    assert "<script>" in run.stderr_tails["n0"]
    folder = write_report(run, tmp_path, _case(command, steps, 1), PageFacts(title="<script>"))
    page = (folder / "report.html").read_text()
    svg = (folder / "sequence.svg").read_text()
    for text in (page, svg):
        assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page  # no script may run, nothing may load


def test_svg_tooltips_carry_the_escaped_body():
    message = {
        "seq": 0,
        "sent_ms": 1.0,
        "src": "n0",
        "dest": "n1",
        "type": "gossip",
        "msg_id": 1,
        "in_reply_to": None,
        "fate": "dropped: partition",
        "delivered_ms": [],
        "body": {"type": "gossip", "note": "</title><b>"},
    }
    svg = render_svg([message])
    assert "<title>#0 n0 → n1 gossip" in svg and "&lt;/title&gt;&lt;b&gt;" in svg
    assert "✕" in svg and "dropped: partition" in svg


def test_step_marks_place_each_step_in_the_sequence_view(example, fast):
    run = run_nodes(example("log_uncoordinated"), 2, SENDS, config=fast)
    assert len(run.step_marks) == len(SENDS) + 1
    assert run.step_marks == sorted(run.step_marks) and run.step_marks[-1] <= len(run.messages)
    assert step_labels(run.step_marks)[-1] == (run.step_marks[-1], "final read")
    svg = render_svg(run.messages, marks=step_labels(run.step_marks))
    assert all(f">{label}</text>" in svg for label in ("step 1", "step 2", "final read"))
    # the first send of step 1 is the first message after its mark
    assert run.messages[run.step_marks[0]]["type"] == "send"
