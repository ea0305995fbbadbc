"""`replicheck check`: exit codes, --json shape, --html output, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from replicheck.cli import cli

PAYLOAD = "</script><script>alert('x')</script><img src=x onerror=alert(1)>"


def write_jsonl(path: Path, ops: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(op) + b"\n" for op in ops))
    return path


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, ["check", *map(str, args)])


def op(p: int, kind: str, f: str, value: Any = None, **extra: Any) -> dict:
    return {"process": p, "type": kind, "f": f, "value": value, **extra}


GOOD_REGISTER = [
    op(0, "invoke", "write", 1),
    op(1, "invoke", "read"),
    op(0, "ok", "write", 1),
    op(1, "ok", "read", 1),
]
BAD_REGISTER = [
    op(0, "invoke", "write", 1),
    op(0, "ok", "write", 1),
    op(1, "invoke", "read"),
    op(1, "ok", "read", 2),
]


def test_linearizable_history_exits_0(tmp_path: Path) -> None:
    result = run(write_jsonl(tmp_path / "h.jsonl", GOOD_REGISTER), "--model", "register")
    assert result.exit_code == 0, result.output
    assert "linearizability (register): linearizable — 1 partition(s), 2 operation(s)" in (
        result.output
    )
    assert result.output.rstrip().endswith("OK")


def test_violation_exits_1_with_evidence(tmp_path: Path) -> None:
    result = run(write_jsonl(tmp_path / "h.jsonl", BAD_REGISTER), "--model", "register")
    assert result.exit_code == 1
    assert "cannot place [2] process 1: read → 2" in result.output
    assert "refused in state 1" in result.output
    assert result.output.rstrip().endswith("VIOLATION")


def test_json_shape(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", BAD_REGISTER)
    result = run(path, "--model", "register", "--json")
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out == {
        "valid": False,
        "model": "register",
        "file": str(path),
        "ops": 4,
        "partitions": 1,
        "anomalies": {},
        "linearizable": {
            "valid": False,
            "model": "register",
            "partitions": 1,
            "ops": 2,
            "failing": [
                {
                    "partition": "(no key)",
                    "ops": 2,
                    "longest_prefix": [{"index": 0, "process": 0, "op": "write 1", "state": "1"}],
                    "cannot_place": {
                        "index": 2,
                        "process": 1,
                        "op": "read → 2",
                        "refused_in_states": ["1"],
                    },
                }
            ],
            "unknown": [],
        },
    }


def test_json_with_linearization(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", GOOD_REGISTER)
    out = json.loads(run(path, "--model", "register", "--json", "--linearization").output)
    assert out["valid"] is True
    assert out["linearizable"]["linearization"] == {"(no key)": [0, 1]}


def test_edn_history(tmp_path: Path) -> None:
    path = tmp_path / "h.edn"
    path.write_text(
        "{:process 0, :type :invoke, :f :cas, :value [nil 2]}\n"
        "{:process 0, :type :ok, :f :cas, :value [nil 2]}\n"
        "{:process 1, :type :invoke, :f :read, :value nil}\n"
        "{:process 1, :type :ok, :f :read, :value 2}\n"
    )
    result = run(path, "--model", "register")
    assert result.exit_code == 0, result.output


def hard_history() -> list[dict]:
    """Overlapping info writes, each observed by a read, and an impossible read."""
    ops = [op(p, "invoke", "write", p) for p in range(40)]
    ops += [op(100 + p, "invoke", "read") for p in range(40)]
    ops += [op(99, "invoke", "read"), op(99, "ok", "read", -1)]
    return ops + [op(100 + p, "ok", "read", p) for p in range(40)]


def test_timeout_exits_3_unknown(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", hard_history())
    result = run(path, "--model", "register", "--timeout", "0.05", "--json")
    assert result.exit_code == 3
    out = json.loads(result.output)
    assert out["valid"] == "unknown"
    assert out["linearizable"]["unknown"] == ["(no key)"]
    text = run(path, "--model", "register", "--timeout", "0.05")
    assert text.exit_code == 3
    assert "UNKNOWN (timed out)" in text.output


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"process": 0, "type": "invoke", "f": "write", "value": 1', ""], ":1: invalid JSON"),
        (
            [json.dumps(op(0, "ok", "write", 1))],
            ":1: 'ok' completion for process 0 without an outstanding invocation",
        ),
        (
            [json.dumps(op(0, "invoke", "write", 1)), json.dumps(op(0, "invoke", "write", 2))],
            ":2: process 0 invokes again",
        ),
        (
            ["", json.dumps(op(0, "invoke", "cas", 5)), json.dumps(op(0, "ok", "cas", 5))],
            ":2: cas value must be a list [old, new]",
        ),
        (
            [json.dumps(op(0, "invoke", "append", "x")), json.dumps(op(0, "ok", "append", "x"))],
            ":1: model 'register' has no operation 'append'",
        ),
    ],
)
def test_bad_input_exits_2_naming_file_and_line(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run(path, "--model", "register")
    assert result.exit_code == 2
    assert f"error: {path}{message}" in result.output
    assert "Traceback" not in result.output


def test_model_error_on_a_completion_names_its_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "h.jsonl",
        [op(0, "invoke", "get", key="k"), op(0, "ok", "get", 7, key="k")],
    )
    result = run(path, "--model", "kv")
    assert result.exit_code == 2
    assert f"error: {path}:2: get's completion value must be a string, got 7" in result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", GOOD_REGISTER)
    assert run(path, "--model", "nope").exit_code == 2
    assert run(path).exit_code == 2
    assert run(tmp_path / "missing.jsonl", "--model", "kv").exit_code == 2
    assert run(path, "--model", "register", "--timeout", "-1").exit_code == 2
    result = run(path, "--model", "register", "--no-linearizability")
    assert result.exit_code == 2
    assert "--no-linearizability only applies to --model log" in result.output


def log_ops(stale: bool) -> list[dict]:
    ops = [
        op(0, "invoke", "send", "m0", key="t-0"),
        op(0, "ok", "send", "m0", key="t-0", offset=0),
        op(1, "invoke", "poll", key="t-0", offset=0),
        op(1, "ok", "poll", [] if stale else [[0, "m0"]], key="t-0", offset=0),
    ]
    return ops


def test_log_model_reports_anomalies_and_linearizability_separately(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", log_ops(stale=False))
    result = run(path, "--model", "log", "--json", "--linearizable")
    out = json.loads(result.output)
    assert result.exit_code == 0, result.output
    assert out["valid"] is True
    assert out["linearizable"]["valid"] is True
    assert out["anomalies"] == {}
    assert out["log"]["valid"] is True


def test_log_model_stale_poll_is_not_linearizable(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", log_ops(stale=True))
    result = run(path, "--model", "log", "--json", "--linearizable")
    out = json.loads(result.output)
    assert result.exit_code == 1
    assert out["valid"] is False
    assert out["linearizable"]["valid"] is False
    [failing] = out["linearizable"]["failing"]
    assert failing["cannot_place"]["op"] == "poll from 0 → []"
    # By default only Kafka's guarantees are checked (here: the empty read from 0 is taken
    # as the final read, so m0 is unseen)
    for extra in ([], ["--no-linearizability"]):
        alone = json.loads(run(path, "--model", "log", "--json", *extra).output)
        assert alone["linearizable"] is None
        assert alone["valid"] is alone["log"]["valid"] is False
        assert set(alone["anomalies"]) == {"unseen"}


def test_html_is_self_contained_and_escapes_payloads(tmp_path: Path) -> None:
    ops = [
        op(0, "invoke", "put", PAYLOAD, key=PAYLOAD),
        op(0, "ok", "put", PAYLOAD, key=PAYLOAD),
        op(1, "invoke", "get", key=PAYLOAD),
        op(1, "ok", "get", "stale " + PAYLOAD, key=PAYLOAD),
    ]
    path = write_jsonl(tmp_path / "h.jsonl", ops)
    out = tmp_path / "report.html"
    result = run(path, "--model", "kv", "--html", out)
    assert result.exit_code == 1
    page = out.read_text()
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]", page.replace(str(path), ""))
    assert "&lt;/script&gt;&lt;script&gt;alert(&#39;x&#39;)" in page
    assert "Cannot place" in page
    assert "Overall: VIOLATION" in page


def test_html_for_the_log_model_embeds_both_reports(tmp_path: Path) -> None:
    ops = log_ops(stale=True)
    ops[0]["value"] = ops[1]["value"] = PAYLOAD
    path = write_jsonl(tmp_path / "h.jsonl", ops)
    out = tmp_path / "report.html"
    assert run(path, "--model", "log", "--html", out, "--linearizable").exit_code == 1
    page = out.read_text()
    assert "<script" not in page.lower()
    assert '<iframe class="log-report" title="log anomaly report" sandbox srcdoc="' in page
    assert "Linearizability (log model)" in page


def test_output_is_deterministic(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", BAD_REGISTER)
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    a = run(path, "--model", "register", "--json", "--html", first)
    b = run(path, "--model", "register", "--json", "--html", second)
    assert a.output == b.output
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("extra", [[], ["--no-linearizability"]])
def test_log_input_errors_name_file_and_line(tmp_path: Path, extra: list[str]) -> None:
    path = write_jsonl(
        tmp_path / "h.jsonl",
        [op(0, "invoke", "poll", key="t-0", offset=0), op(0, "ok", "poll", 5, key="t-0")],
    )
    result = run(path, "--model", "log", *extra)
    assert result.exit_code == 2, result.output
    assert f"error: {path}:2: " in result.output
    assert "Traceback" not in result.output


def test_max_poll_records_for_histories_without_the_field(tmp_path: Path) -> None:
    ops = [
        op(0, "invoke", "send", "m0", key="t-0"),
        op(0, "ok", "send", "m0", key="t-0", offset=0),
        op(0, "invoke", "send", "m1", key="t-0"),
        op(0, "ok", "send", "m1", key="t-0", offset=1),
        op(1, "invoke", "poll", key="t-0", offset=0),
        op(1, "ok", "poll", [[0, "m0"]], key="t-0", offset=0),
    ]
    path = write_jsonl(tmp_path / "h.jsonl", ops)
    # any poll may stop short (the option is kept for compatibility and changes nothing)
    assert run(path, "--model", "log", "--linearizable").exit_code == 0
    assert run(path, "--model", "log", "--max-poll-records", "1").exit_code == 0
    usage = run(path, "--model", "kv", "--max-poll-records", "1")
    assert usage.exit_code == 2
    assert "--max-poll-records only applies to --model log" in usage.output


def test_default_level_is_kafka_guarantees_not_linearizability(tmp_path: Path) -> None:
    # a partial poll and a consumer reading behind the log: correct Kafka, not linearizable
    # under the old full-batch rule, and never a stale read here
    ops = [
        op(0, "invoke", "send", "m0", key="t-0"),
        op(0, "ok", "send", "m0", key="t-0", offset=0),
        op(0, "invoke", "send", "m1", key="t-0"),
        op(0, "ok", "send", "m1", key="t-0", offset=1),
        op(1, "invoke", "poll", key="t-0", offset=0),
        op(1, "ok", "poll", [[0, "m0"]], key="t-0", offset=0),
        op(1, "invoke", "poll", key="t-0", offset=1),
        op(1, "ok", "poll", [[1, "m1"]], key="t-0", offset=1),
        op(2, "invoke", "poll", key="t-0", offset=0, final=True),
        op(2, "ok", "poll", [[0, "m0"], [1, "m1"]], key="t-0", offset=0, final=True),
    ]
    path = write_jsonl(tmp_path / "h.jsonl", ops)
    for extra in ([], ["--linearizable"]):
        result = run(path, "--model", "log", *extra)
        assert result.exit_code == 0, result.output


def test_allow_lists_kinds_and_reports_them_apart(tmp_path: Path) -> None:
    ops = [
        op(0, "invoke", "send", "m0", key="t-0"),
        op(0, "fail", "send", "m0", key="t-0"),
        op(1, "invoke", "poll", key="t-0", offset=0),
        op(1, "ok", "poll", [[0, "m0"]], key="t-0", offset=0, final=True),
    ]
    path = write_jsonl(tmp_path / "h.jsonl", ops)
    strict = json.loads(run(path, "--model", "log", "--json").output)
    assert strict["valid"] is False and set(strict["anomalies"]) == {"G1a"}
    result = run(path, "--model", "log", "--json", "--allow", "default,G1a")
    out = json.loads(result.output)
    assert result.exit_code == 0
    assert out["anomalies"] == {} and set(out["allowed_anomalies"]) == {"G1a"}
    assert "G1a" in out["allowed"] and "int-send-skip" in out["allowed"]
    assert "int-send-skip" not in json.loads(
        run(path, "--model", "log", "--json", "--allow", "G1a").output
    )["allowed"]
    text = run(path, "--model", "log", "--allow", "G1a").output
    assert "allowed: G1a ×1" in text and "G1a (1) [allowed]" in text
    usage = run(path, "--model", "log", "--allow", "G1b")
    assert usage.exit_code == 2 and "unknown anomaly kind(s) G1b" in usage.output
    assert run(path, "--model", "kv", "--allow", "G1a").exit_code == 2


# --- several histories in one process ---------------------------------------------------


def test_batch_prints_one_line_per_file_and_exits_with_the_worst_code(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "a-good.jsonl", GOOD_REGISTER)
    bad = write_jsonl(tmp_path / "b-bad.jsonl", BAD_REGISTER)
    hard = write_jsonl(tmp_path / "c-hard.jsonl", hard_history())
    result = run(good, hard, "--model", "register", "--timeout", "0.05")
    assert result.exit_code == 3  # unknown is worse than ok
    assert result.output.splitlines() == [f"{good}: OK", f"{hard}: UNKNOWN (timed out)"]
    result = run(good, bad, hard, "--model", "register", "--timeout", "0.05")
    assert result.exit_code == 1  # a violation is worse than unknown
    assert result.output.splitlines()[1] == (
        f"{bad}: VIOLATION — linearizability: not linearizable in partition(s) (no key)"
    )


def test_batch_of_a_directory_takes_its_histories_in_name_order(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "2.jsonl", BAD_REGISTER)
    write_jsonl(tmp_path / "1.jsonl", GOOD_REGISTER)
    (tmp_path / "notes.txt").write_text("not a history")
    result = run(tmp_path, "--model", "register", "--json")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(Path(r["file"]).name, r["valid"]) for r in rows] == [
        ("1.jsonl", True),
        ("2.jsonl", False),
    ]
    assert rows[1]["linearizable"]["failing"][0]["cannot_place"]["index"] == 2


def test_batch_bad_input_is_reported_and_the_rest_still_checked(tmp_path: Path) -> None:
    broken = tmp_path / "a-broken.jsonl"
    broken.write_text('{"process": 0, "type": "invoke"\n')
    bad = write_jsonl(tmp_path / "b-bad.jsonl", BAD_REGISTER)
    result = CliRunner().invoke(cli, ["check", str(broken), str(bad), "--model", "register"])
    assert result.exit_code == 2  # bad input is the worst
    assert f"{broken}:1: invalid JSON" in result.stderr
    assert result.stdout.splitlines()[0] == f"{broken}: BAD INPUT"
    assert result.stdout.splitlines()[1].startswith(f"{bad}: VIOLATION")


def test_batch_usage_errors(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", GOOD_REGISTER)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(empty, "--model", "register")
    assert result.exit_code == 2 and "no *.jsonl, *.json or *.edn history" in result.output
    result = run(good, good, "--model", "register", "--html", tmp_path / "out.html")
    assert result.exit_code == 2 and "--html takes a single history file" in result.output
    result = run(good, "-", "--model", "register")
    assert result.exit_code == 2 and "standard input" in result.output


def test_first_failure_reports_the_other_partitions_as_not_searched(tmp_path: Path) -> None:
    history = [dict(o, key="k1") for o in BAD_REGISTER] + [dict(o, key="k2") for o in BAD_REGISTER]
    path = write_jsonl(tmp_path / "h.jsonl", history)
    full = json.loads(run(path, "--model", "register", "--json").output)
    assert [f["partition"] for f in full["linearizable"]["failing"]] == ["k1", "k2"]
    result = run(path, "--model", "register", "--json", "--first-failure")
    assert result.exit_code == 1
    quick = json.loads(result.output)["linearizable"]
    assert [f["partition"] for f in quick["failing"]] == ["k1"]
    assert quick["not_searched"] == ["k2"] and quick["unknown"] == []


def test_check_imports_neither_hypothesis_nor_the_report_templates(tmp_path: Path) -> None:
    """Start-up: `check` loads only what it needs (the subcommands are imported lazily)."""
    path = write_jsonl(tmp_path / "h.jsonl", GOOD_REGISTER)
    probe = (
        "import sys\n"
        "from replicheck.cli import main\n"
        f"sys.argv = ['replicheck', 'check', {str(path)!r}, '--model', 'register']\n"
        "try:\n    main()\nexcept SystemExit as done:\n    code = done.code\n"
        "heavy = ('hypothesis', 'jinja2', 'networkx', 'rich', 'replicheck.impl')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == "0 []", done.stdout + done.stderr


def test_help_lists_the_commands_without_importing_them() -> None:
    """`replicheck --help` shows each command's own first sentence, kept in cli.COMMANDS so
    that listing them imports none of them."""
    import importlib

    from replicheck.cli import COMMANDS

    for name, (module, line) in COMMANDS.items():
        command = getattr(importlib.import_module(f"replicheck.commands.{module}"), name)
        assert command.get_short_help_str(limit=10**6) == line
    probe = (
        "import sys\nfrom replicheck.cli import main\nsys.argv = ['replicheck', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('replicheck.commands.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "Check recorded histories against a model." in done.stdout
    assert done.stdout.splitlines()[-1] == "[]", done.stdout + done.stderr


def test_html_names_the_partitions_left_unsearched(tmp_path: Path) -> None:
    history = [dict(o, key="k1") for o in BAD_REGISTER] + [dict(o, key="k2") for o in BAD_REGISTER]
    path = write_jsonl(tmp_path / "h.jsonl", history)
    out = tmp_path / "out.html"
    result = run(path, "--model", "register", "--first-failure", "--html", out)
    assert result.exit_code == 1
    page = out.read_text()
    assert "Partition k1 — not linearizable" in page
    assert "Partition k2 — not searched (stopped at the first failing partition)" in page
