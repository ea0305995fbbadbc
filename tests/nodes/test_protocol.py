"""Maelstrom's protocol: framing, the error table, and protocol errors from real processes
(each a typed error naming the node and the stdout line, with every process reaped)."""

from __future__ import annotations

import pytest

from replicheck.nodes import NodeConfig, NodeProtocolError, NodeStartError, NodeStep, NodeTarget
from replicheck.nodes.protocol import decode, encode, error_name, is_definite

KNOWN = frozenset({"n0", "n1", "lin-kv", "c1"})


def test_encode_is_one_line_and_decodes_back():
    line = encode("n0", "c1", {"type": "echo_ok", "echo": "a\nb", "in_reply_to": 1})
    assert line.endswith("\n") and line.count("\n") == 1
    assert decode("n0", 1, line, KNOWN)["body"]["echo"] == "a\nb"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hello", "not a JSON message"),
        ("[1, 2]", "must be a JSON object"),
        ('{"src": "n0", "body": {"type": "x"}}', "without 'dest'"),
        ('{"src": "n0", "dest": "c1", "body": {}}', "string 'type'"),
        ('{"src": "n1", "dest": "c1", "body": {"type": "x"}}', "expected this node's id 'n0'"),
        ('{"src": "n0", "dest": "n7", "body": {"type": "x"}}', "no node, service or client"),
        (
            '{"src": "n0", "dest": "c1", "body": {"type": "x", "msg_id": "1"}}',
            "msg_id must be an integer",
        ),
    ],
)
def test_decode_rejects_with_node_and_line(line, reason):
    with pytest.raises(NodeProtocolError) as raised:
        decode("n0", 7, line, KNOWN)
    assert raised.value.node == "n0" and raised.value.line_number == 7
    assert reason in str(raised.value) and str(raised.value).startswith("n0: stdout line 7: ")


def test_error_table_follows_maelstrom():
    definite = {1, 10, 11, 12, 14, 20, 21, 22, 30}
    for code in range(0, 40):
        assert is_definite(code) == (code in definite), code
    assert not is_definite(1000) and not is_definite(None) and not is_definite(True)
    assert error_name(22) == "precondition-failed" and error_name(1234) == "error-1234"


def test_non_json_stdout_names_the_node_and_line(program, pid_alive):
    target = NodeTarget(program("bad", "garbage"), 2, config=NodeConfig(init_timeout_ms=1500))
    with pytest.raises(NodeProtocolError) as raised:
        target.start()
    assert raised.value.line_number == 1 and raised.value.node in ("n0", "n1")
    assert "hello, I am starting up" in str(raised.value)
    assert not target.processes and all(not pid_alive(p.pid) for p in target.reaped)
    assert len(target.reaped) == 2


def test_missing_init_ok_is_reported_within_the_bound(program, pid_alive):
    target = NodeTarget(program("bad", "silent"), 1, config=NodeConfig(init_timeout_ms=300))
    with pytest.raises(NodeProtocolError, match=r"^n0: no init_ok within 300 ms"):
        target.start()
    assert target.reaped and all(not pid_alive(p.pid) for p in target.reaped)


def test_command_not_found():
    target = NodeTarget(["/nonexistent/node-binary", "--flag"], 3)
    with pytest.raises(NodeStartError, match=r"^n0: cannot start '/nonexistent/node-binary'"):
        target.start()
    assert not target.processes


def test_node_exiting_is_reported_with_its_exit_code(program):
    target = NodeTarget(program("bad", "exits"), 1, config=NodeConfig(init_timeout_ms=1500))
    with pytest.raises(NodeStartError, match=r"^n0: exited unexpectedly \(exit code 3\)"):
        target.start()


def test_wrong_src_is_a_protocol_error(program):
    target = NodeTarget(program("bad", "wrong-src"), 1, config=NodeConfig(init_timeout_ms=1500))
    with pytest.raises(NodeProtocolError, match=r"src is 'n9'"):
        target.start()


def test_malformed_reply_and_log_lines_on_stdout_fail_the_run(program, pid_alive, fast):
    for mode, expected in (
        ("bad-reply", "non-negative integer 'offset'"),
        ("echo-to-stdout", "not a JSON message"),
    ):
        target = NodeTarget(program("bad", mode), 1, config=fast)
        with pytest.raises(NodeProtocolError, match=expected) as raised:
            target.run([NodeStep("send", {"client": 0, "node": "n0", "key": "k", "msg": 1})])
        assert raised.value.line_number == 2  # line 1 was init_ok
        assert not target.processes and all(not pid_alive(p.pid) for p in target.reaped)


def test_definite_errors_fail_and_indefinite_ones_are_info(program, fast):
    codes = [11, 13, 1000, 22, 0, 20, 1]
    steps = [NodeStep("send", {"client": 0, "node": "n0", "key": "k", "msg": c}) for c in codes]
    run = NodeTarget(program("bad", "errors"), 1, config=fast).run(steps)
    assert run.step_outcomes == [
        "→ fail (temporarily-unavailable)",
        "→ info (crash)",
        "→ info (error-1000)",
        "→ fail (precondition-failed)",
        "→ info (timeout)",
        "→ fail (key-does-not-exist)",
        "→ fail (node-not-found)",
    ]
    completions = [op for op in run.history if op["f"] == "send" and op["type"] != "invoke"]
    assert [op["type"] for op in completions] == [
        "fail",
        "info",
        "info",
        "fail",
        "info",
        "fail",
        "fail",
    ]
