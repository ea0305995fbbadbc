"""One regression test per defect class of issue 10 (bad input must never change a verdict,
lose a finding or show a traceback). Each test names the class it pins down."""

from __future__ import annotations

import json
import multiprocessing
import tracemalloc
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from replicheck.checker.history import HistoryError, dump_jsonl, read_history, validate_ops
from replicheck.checker.json_values import MAX_NESTING
from replicheck.cli import EXIT_INTERNAL, GuardedGroup, cli
from replicheck.report.case_fields import MAX_RUN_MS, MAX_STEP_MS
from replicheck.stateful.runner import clamp_workers, report_dir_problem

REGRESSIONS = Path(__file__).parents[1] / "regressions"
BASE_CASE = REGRESSIONS / "unclean-election.case.json"


def run(*args: Any, input: str | None = None) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def jsonl(path: Path, ops: list[dict]) -> Path:
    path.write_text("".join(json.dumps(op) + "\n" for op in ops))
    return path


def op(p: int, kind: str, f: str, value: Any = None, **extra: Any) -> dict:
    return {"process": p, "type": kind, "f": f, "value": value, **extra}


def register_history(written: int, read: int) -> list[dict]:
    return [
        op(0, "invoke", "write", written),
        op(0, "ok", "write", written),
        op(1, "invoke", "read"),
        op(1, "ok", "read", read),
    ]


# -- wrong verdicts: integers beyond 64 bits ---------------------------------------------


def test_big_integers_stay_exact_in_json_lines(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "h.jsonl", register_history(10**30, 10**30 + 1))
    assert run("check", path, "--model", "register").exit_code == 1
    same = jsonl(tmp_path / "same.jsonl", register_history(10**30, 10**30))
    assert run("check", same, "--model", "register").exit_code == 0
    assert [o["value"] for o in read_history(path)][1::2] == [10**30, 10**30 + 1]
    below = jsonl(tmp_path / "neg.jsonl", register_history(-(2**63) - 1, -(2**63) - 2))
    assert run("check", below, "--model", "register").exit_code == 1


def test_a_big_integer_across_the_reader_block_boundary_stays_exact(tmp_path: Path) -> None:
    ops = register_history(10**30, 10**30 + 1)
    head = json.dumps({**ops[0], "pad": ""}) + "\n"
    prefix = json.dumps(ops[1]) + "\n" + json.dumps(ops[2]) + "\n"
    read_line = json.dumps(ops[3])
    # put the middle of the read's 31-digit value exactly on the 1 MiB block boundary
    at = read_line.index("1000000000000000000000000000001") + 15
    pad = (1 << 20) - (len(head) + len(prefix) + at)
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps({**ops[0], "pad": "x" * pad}) + "\n" + prefix + read_line + "\n")
    assert path.read_bytes()[(1 << 20) - 2 : (1 << 20) + 2] == b"0000"
    assert read_history(path)[3]["value"] == 10**30 + 1
    assert run("check", path, "--model", "register").exit_code == 1


def test_big_integers_stay_exact_in_edn_and_in_json_output(tmp_path: Path) -> None:
    edn = tmp_path / "h.edn"
    edn.write_text(
        "{:process 0, :type :invoke, :f :write, :value 1000000000000000000000000000000}\n"
        "{:process 0, :type :ok, :f :write, :value 1000000000000000000000000000000}\n"
        "{:process 1, :type :invoke, :f :read, :value nil}\n"
        "{:process 1, :type :ok, :f :read, :value 1000000000000000000000000000001N}\n"
    )
    result = run("check", edn, "--model", "register", "--json", "--linearization")
    assert result.exit_code == 1
    assert json.loads(result.output)["valid"] is False
    # a log whose message is a big integer: the verdict's evidence carries it exactly
    log = [
        op(0, "invoke", "send", 10**30, key="k"),
        op(0, "ok", "send", 10**30, key="k", offset=0),
        op(1, "invoke", "send", 7, key="k"),
        op(1, "ok", "send", 7, key="k", offset=0),
    ]
    html = tmp_path / "log.html"
    out = run(
        "check", jsonl(tmp_path / "log.jsonl", log), "--model", "log", "--json", "--html", html
    )
    assert out.exit_code == 1
    assert "1000000000000000000000000000000" in html.read_text()
    assert "1000000000000000000000000000000" in out.output
    json.loads(out.output)
    dump_jsonl(log, tmp_path / "back.jsonl")
    assert read_history(tmp_path / "back.jsonl") == log


# -- wrong verdicts: line order is real time, index is a unique identifier ---------------

LOST_WRITE = [
    op(0, "invoke", "send", "a", key="k"),
    op(0, "ok", "send", "a", key="k", offset=0),
    op(0, "invoke", "send", "b", key="k"),
    op(0, "ok", "send", "b", key="k", offset=1),
    op(0, "invoke", "send", "c", key="k"),
    op(0, "ok", "send", "c", key="k", offset=2),
    op(1, "invoke", "poll", None, key="k", offset=0),
    op(1, "ok", "poll", [[0, "a"], [2, "c"]], key="k", offset=0),
]


@pytest.mark.parametrize("numbering", ["increasing", "reversed", "sparse", "absent"])
def test_the_log_checker_orders_by_line_not_by_index(tmp_path: Path, numbering: str) -> None:
    n = len(LOST_WRITE)
    ids = {
        "increasing": list(range(n)),
        "reversed": list(range(n))[::-1],
        "sparse": [7 * i + 100 for i in range(n)][::-1],
        "absent": [None] * n,
    }[numbering]
    ops = [
        dict(o) if i is None else {**o, "index": i} for o, i in zip(LOST_WRITE, ids, strict=True)
    ]
    path = jsonl(tmp_path / "h.jsonl", ops)
    result = run("check", path, "--model", "log", "--no-linearizability", "--json")
    assert result.exit_code == 1, result.output
    lost = json.loads(result.output)["anomalies"]["lost-write"]
    assert [e["message"] for e in lost] == ["b"]
    if ids[3] is not None:  # the evidence names the ops by their own index
        assert lost[0]["send"]["index"] == ids[3]
        assert lost[0]["read"]["index"] == ids[7]


def test_a_duplicate_index_is_an_input_error(tmp_path: Path) -> None:
    ops = [{**o, "index": i} for i, o in enumerate(LOST_WRITE)]
    ops[5]["index"] = 2
    path = jsonl(tmp_path / "h.jsonl", ops)
    for model in ("log", "register"):
        result = run("check", path, "--model", model)
        assert result.exit_code == 2
        assert f"{path}:6: duplicate index 2 (first on line 3)" in result.output
    with pytest.raises(HistoryError, match="duplicate index 2"):
        validate_ops(ops)


# -- wrong verdicts: case files validated field by field ---------------------------------


def edited_case(tmp_path: Path, edit: Any) -> Path:
    data = json.loads(BASE_CASE.read_text())
    edit(data)
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "unclean_leader_election",
            "no",
            'config.unclean_leader_election: expected true or false, got "no"',
        ),
        ("broker_count", 3.5, "config.broker_count: expected an integer between 1 and 32, got 3.5"),
        ("max_poll_records", 1.5, "config.max_poll_records: expected an integer between 1 and"),
        (
            "broker_count",
            True,
            "config.broker_count: expected an integer between 1 and 32, got true",
        ),
        ("flaws", "-acks-one", 'config.flaws: expected a list of flaw flag names, got "-acks-one"'),
        ("acks", 1, "config.acks: expected one of 0, 1, all, got 1"),
    ],
)
def test_case_config_fields_are_checked_by_type_and_range(
    tmp_path: Path, field: str, value: Any, message: str
) -> None:
    path = edited_case(tmp_path, lambda d: d["config"].update({field: value}))
    result = run("replay", path)
    assert result.exit_code == 2
    assert f"error: {path}: {message}" in result.output


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_case_version_must_be_the_integer_1(tmp_path: Path, version: Any) -> None:
    result = run("replay", edited_case(tmp_path, lambda d: d.update(version=version)))
    assert result.exit_code == 2
    assert 'unsupported "version"' in result.output


# -- a found violation must never be lost ------------------------------------------------

HUNT = ["hunt", "--flaw", "acks-one", "--seed", "2", "--max-examples", "1500", "--steps", "30",
        "--no-database"]  # fmt: skip


def test_hunt_checks_the_report_folder_before_the_campaign(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("x")
    result = run(*HUNT, "--report-dir", plain / "reports")
    assert result.exit_code == 2
    assert f"error: --report-dir {plain / 'reports'}: cannot create a folder there" in result.output
    assert "examples" not in result.output  # the campaign never started
    assert report_dir_problem(tmp_path / "new" / "deeper") is None


def test_hunt_prints_the_finding_even_when_the_report_cannot_be_written(tmp_path: Path) -> None:
    first = run(*HUNT, "--report-dir", tmp_path / "a")
    assert first.exit_code == 1
    (folder,) = (tmp_path / "a").iterdir()
    blocked = tmp_path / "b"
    blocked.mkdir()
    (blocked / folder.name).write_text("a file where the report folder would go")
    result = run(*HUNT, "--report-dir", blocked)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "Violation found and shrunk to" in out
    assert "Reproduce: replicheck hunt --flaw acks-one --seed 2" in out
    assert f"Could not write the report: {blocked / folder.name}" in out
    assert out.index("Reproduce:") < out.index("Could not write the report")


def test_replay_prints_the_verdict_even_when_the_report_cannot_be_written(tmp_path: Path) -> None:
    first = run("replay", BASE_CASE, "--report-dir", tmp_path / "a")
    assert first.exit_code == 1
    (folder,) = (tmp_path / "a").iterdir()
    blocked = tmp_path / "b"
    blocked.mkdir()
    (blocked / folder.name).write_text("in the way")
    result = run("replay", BASE_CASE, "--report-dir", blocked)
    assert result.exit_code == 1
    assert "result: the recorded violation reproduces" in result.output
    assert f"could not write the report: {blocked / folder.name}" in result.output
    plain = tmp_path / "plain"
    plain.write_text("x")
    assert run("replay", BASE_CASE, "--report-dir", plain / "r").exit_code == 2


# -- tracebacks: nesting ------------------------------------------------------------------


def test_deep_nesting_is_one_clear_error_everywhere(tmp_path: Path) -> None:
    deep = "[" * 1000 + "1" + "]" * 1000
    history = tmp_path / "h.jsonl"
    history.write_text('{"process": 0, "type": "invoke", "f": "write", "value": ' + deep + "}\n")
    result = run("check", history, "--model", "register")
    assert result.exit_code == 2
    assert f"{history}:1: value nested deeper than {MAX_NESTING} levels" in result.output
    edn = tmp_path / "h.edn"
    edn.write_text("{:process 0, :type :invoke, :f :write, :value " + deep + "}\n")
    assert (
        f"nested deeper than {MAX_NESTING} levels"
        in run("check", edn, "--model", "register").output
    )
    case = edited_case(tmp_path, lambda d: d["steps"][0]["args"].update(message=[]))
    case.write_text(case.read_text().replace("[]", deep))
    result = run("replay", case)
    assert result.exit_code == 2
    assert "nested deeper than" in result.output


# -- tracebacks: EDN -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"\\uZZZZ"', "bad unicode escape"),
        ("1/0", "ratio 1/0 divides by zero"),
        ('"\\ud800"', "lone surrogate"),
        ("1/3", "ratio 1/3 has no exact float value"),
    ],
)
def test_bad_edn_values_are_input_errors(tmp_path: Path, value: str, message: str) -> None:
    edn = tmp_path / "h.edn"
    edn.write_text("{:process 0, :type :invoke, :f :write, :value " + value + "}\n")
    result = run("check", edn, "--model", "register")
    assert result.exit_code == 2
    assert f"{edn}:1: invalid EDN: {message}" in result.output


def test_a_bom_is_skipped_and_txn_ops_without_key_are_not_log_ops(tmp_path: Path) -> None:
    edn = tmp_path / "h.edn"
    edn.write_bytes(
        b"\xef\xbb\xbf{:process 0, :type :invoke, :f :txn, :value [[:append 1 2]]}\n"
        b"{:process 0, :type :ok, :f :txn, :value [[:append 1 2]]}\n"
    )
    result = run("check", edn, "--model", "log")
    assert result.exit_code == 0, result.output
    bom = jsonl(tmp_path / "h.jsonl", register_history(1, 1))
    bom.write_bytes(b"\xef\xbb\xbf" + bom.read_bytes())
    assert run("check", bom, "--model", "register").exit_code == 0


# -- tracebacks: huge offsets --------------------------------------------------------------


def test_memory_follows_the_records_not_the_largest_offset(tmp_path: Path) -> None:
    from replicheck.checker.linearizability import calls_from_history, check_calls
    from replicheck.checker.log_anomalies import check_log
    from replicheck.model import LogModel

    far = 10**7  # the per-offset scan took about 1 GB here
    ops = [
        op(2, "invoke", "send", "z", key="k"),
        op(2, "info", "send", "z", key="k"),
        op(0, "invoke", "send", "a", key="k"),
        op(0, "ok", "send", "a", key="k", offset=far),
        op(1, "invoke", "poll", None, key="k", offset=0),
        op(1, "ok", "poll", [[0, "b"], [far, "a"]], key="k", offset=0),
    ]
    history = validate_ops(ops)
    tracemalloc.start()
    try:
        assert check_log(history).stats["observed_offsets"] == 2
        check_calls(LogModel(None), calls_from_history(history))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MiB for a six-op history"


# -- tracebacks: case steps ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"kind": "crash", "args": {"broker": 9}}, "steps[0].args.broker: expected a broker id between 1 and 3, got 9"),
        ({"kind": "send", "args": {"process": 0, "partition": 4, "message": "m"}},
         "steps[0].args.partition: expected a partition number between 0 and 0, got 4"),
        ({"kind": "partition", "args": {"groups": [["b1"], ["b7"]]}}, 'steps[0].args.groups: unknown node "b7"'),
        ({"kind": "send", "args": {"process": 0, "partition": 0, "message": "m", "wait_ms": "soon"}},
         'steps[0].args.wait_ms: expected a number of ms between 0 and 600000, got "soon"'),
        ({"kind": "tick", "args": {"ms": 0}}, "steps[0].args.ms: expected a number of ms between 1 and"),
        ({"kind": "tick", "args": {"ms": 10**9}}, f"between 1 and {MAX_STEP_MS}, got 1000000000"),
        ({"kind": "message-faults", "args": {"loss": 0, "delay_lo_ms": 9, "delay_hi_ms": 3}},
         "steps[0].args.delay_hi_ms: expected a delay in ms (≥ delay_lo_ms) between 9 and"),
        ({"kind": "send", "args": {"process": 7, "partition": 0, "message": "m"}},
         "steps[0].args.process: expected a client process between 0 and 2, got 7"),
    ],
)  # fmt: skip
def test_step_arguments_are_checked_against_the_config(
    tmp_path: Path, step: dict, message: str
) -> None:
    path = edited_case(tmp_path, lambda d: d.update(steps=[step]))
    result = run("replay", path)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_simulated_time_is_bounded_per_run(tmp_path: Path) -> None:
    ticks = [{"kind": "tick", "args": {"ms": MAX_STEP_MS}}] * (MAX_RUN_MS // MAX_STEP_MS + 1)
    result = run("replay", edited_case(tmp_path, lambda d: d.update(steps=ticks)))
    assert result.exit_code == 2
    assert f"a case may take at most {MAX_RUN_MS}" in result.output


# -- tracebacks: workers -----------------------------------------------------------------


def test_workers_are_clamped_with_a_message() -> None:
    workers, note = clamp_workers(1000, 3)
    assert workers <= 3 and note is not None and "--workers 1000 clamped to" in note
    assert clamp_workers(1, 50) == (1, None)
    result = run("hunt", "--workers", "1000", "--max-examples", "1", "--steps", "2", "--seed", "1",
                 "--no-database", "--report-dir", Path.cwd() / "never-written")  # fmt: skip
    assert result.exit_code == 0
    assert "note: --workers 1000 clamped to 1" in result.output
    assert multiprocessing.active_children() == []


# -- small: stdin, file-level errors, option values --------------------------------------


def test_check_reads_standard_input_and_file_errors_name_the_file(tmp_path: Path) -> None:
    text = "".join(json.dumps(o) + "\n" for o in register_history(1, 2))
    assert run("check", "-", "--model", "register", input=text).exit_code == 1
    bad = run("check", "-", "--model", "register", input=text + "{oops\n")
    assert bad.exit_code == 2 and "<stdin>:5: invalid JSON" in bad.output
    missing = run("check", tmp_path / "missing.jsonl", "--model", "register")
    assert missing.exit_code == 2
    assert f"error: {tmp_path / 'missing.jsonl'}: cannot open" in missing.output
    assert ":0:" not in missing.output


@pytest.mark.parametrize("timeout", ["nan", "inf", "-inf", "0", "-1", "soon"])
def test_timeout_must_be_a_finite_positive_number(tmp_path: Path, timeout: str) -> None:
    path = jsonl(tmp_path / "h.jsonl", register_history(1, 1))
    result = run("check", path, "--model", "register", "--timeout", timeout)
    assert result.exit_code == 2


# -- one rule for the whole CLI ----------------------------------------------------------


def _crashing_group() -> click.Group:
    @click.group(cls=GuardedGroup)
    @click.option("--debug", is_flag=True)
    @click.pass_context
    def group(ctx: click.Context, debug: bool) -> None:
        ctx.obj = {"debug": debug}

    @group.command()
    def boom() -> None:
        raise RuntimeError("an invariant of replicheck broke")

    return group


def test_an_internal_error_exits_4_and_shows_a_traceback_only_under_debug() -> None:
    group = _crashing_group()
    plain = CliRunner().invoke(group, ["boom"])
    assert plain.exit_code == EXIT_INTERNAL
    assert "internal error: RuntimeError: an invariant of replicheck broke" in plain.output
    assert "please report" in plain.output and "Traceback" not in plain.output
    debug = CliRunner().invoke(group, ["--debug", "boom"])
    assert debug.exit_code == EXIT_INTERNAL
    assert "Traceback" in debug.output
