"""The line fast path for Jepsen-shape files (replicheck.checker.jepsen_lines) against the
path it replaces: `iter_ops` + `JepsenKafka.feed` (`check_log_file(..., fast=False)`).
Same verdict JSON, stats, partition views and evidence on correct and fault-injected
histories, EDN and JSON Lines, and the same `path:line: reason` on bad input (mutated ops,
mutated bytes, broken pairing and indices), with blocks small enough that every history
spans many of them."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.checker import jepsen_lines
from replicheck.checker.history import HistoryError
from replicheck.checker.log_file import check_log_file
from replicheck.testing.jepsen_gen import (
    JEPSEN_INJECTORS,
    JepsenGenConfig,
    generate_jepsen,
    jepsen_configs,
    to_edn_line,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
configs = jepsen_configs(10, assign_ratios=(0.0, 0.05))


def write(history: list[dict[str, Any]], path: Path, fmt: str) -> bytes:
    if fmt == "edn":
        data = "".join(to_edn_line(op) + "\n" for op in history).encode()
    else:
        data = b"".join(orjson.dumps(op, option=orjson.OPT_NON_STR_KEYS) + b"\n" for op in history)
    path.write_bytes(data)
    return data


def outcome(path: Path, fast: bool, data: bytes | None = None) -> Any:
    try:
        verdict = check_log_file(path, fast=fast, data=data)
    except HistoryError as exc:
        return ("error", str(exc))
    views = {
        k: (v.offset_ranges, v.highlights, v.acked_offsets, v.observed)
        for k, v in verdict.partitions.items()
    }
    return (verdict.to_json(), verdict.stats, views, verdict.allowed)


def assert_same(path: Path, data: bytes | None = None) -> Any:
    fast, reference = outcome(path, True, data), outcome(path, False, data)
    assert fast == reference
    return fast


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few lines: block boundaries fall everywhere."""
    monkeypatch.setattr(jepsen_lines, "_FIRST_BLOCK_BYTES", 300)
    monkeypatch.setattr(jepsen_lines, "_BLOCK_BYTES", 700)


@SETTINGS
@given(
    configs,
    st.integers(0, 2**16),
    st.sampled_from(["none", *sorted(JEPSEN_INJECTORS)]),
    st.sampled_from(["edn", "jsonl"]),
)
def test_fast_lines_agree_on_generated_histories(
    tmp_path_factory: pytest.TempPathFactory,
    config: JepsenGenConfig,
    seed: int,
    fault: str,
    fmt: str,
) -> None:
    history = generate_jepsen(config, seed)
    if fault != "none":
        history = JEPSEN_INJECTORS[fault][0](history, random.Random(seed)) or history
    path = tmp_path_factory.mktemp("h") / f"h.{fmt}"
    write(history, path, fmt)
    result = assert_same(path)
    assert result[0] != "error"


def _mutate_ops(history: list[dict[str, Any]], rng: random.Random, how: str) -> None:
    """Op-level changes that the fast path must hand to the full reader or judge alike."""
    ops = [op for op in history if type(op.get("process")) is int]
    op = rng.choice(ops)
    if how == "index-repeat":
        op["index"] = rng.choice(ops)["index"]
    elif how == "index-back":
        op["index"] = max(0, op["index"] - rng.choice([1, 2, 50]))
    elif how == "double-invoke":
        op["type"] = "invoke"
    elif how == "orphan-completion":
        op["type"] = rng.choice(["ok", "info", "fail"])
    elif how == "other-f":
        op["f"] = "poll" if op["f"] == "send" else "send"
    elif how == "poll-result":
        for mop in op.get("value") or ():
            if type(mop) is list and len(mop) == 2 and type(mop[1]) is dict and mop[1]:
                key = rng.choice(list(mop[1]))
                mop[1][key] = rng.choice(
                    [[[0]], [[0, 1, 2]], [[-1, 2]], [[0, [1]]], [], [[0, 1], [0, 1]], 5]
                )
    elif how == "big-number":
        op["time"] = rng.choice([2**63, 10**18, 10**19, 0])
    elif how == "nemesis":
        op["process"] = "nemesis"
    elif how == "consumer":
        consumers = [o for o in ops if o["f"] in ("assign", "subscribe", "crash")] or [op]
        chosen = rng.choice(consumers)
        chosen["value"] = rng.choice([[], [0], [1, 0], None, "x", [[0]], [["poll"]]])
        chosen["seek-to-beginning?"] = rng.choice([True, False])
        chosen["f"] = rng.choice(["assign", "subscribe", "crash", chosen["f"]])
    elif how == "base":
        for other in history:
            other["index"] = other.get("index", 0) + 7


OP_MUTATIONS = (
    "index-repeat",
    "index-back",
    "double-invoke",
    "orphan-completion",
    "other-f",
    "poll-result",
    "big-number",
    "nemesis",
    "consumer",
    "base",
)


@SETTINGS
@given(
    configs,
    st.integers(0, 2**16),
    st.sampled_from(OP_MUTATIONS),
    st.sampled_from(["edn", "jsonl"]),
)
def test_fast_lines_agree_on_mutated_ops(
    tmp_path_factory: pytest.TempPathFactory,
    config: JepsenGenConfig,
    seed: int,
    how: str,
    fmt: str,
) -> None:
    history = copy.deepcopy(generate_jepsen(config, seed))
    _mutate_ops(history, random.Random(seed), how)
    path = tmp_path_factory.mktemp("h") / f"h.{fmt}"
    write(history, path, fmt)
    assert_same(path)


# bytes a mutation may put anywhere: separators, brackets, digits, signs, quotes, ...
_BYTES = [*b' ,[]{}:"0123456789-\n\r\t;#\\nulabc', 0xEF, 0xFF]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**16),
    st.sampled_from(["edn", "jsonl"]),
    st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["delete", "insert", "replace"])), max_size=4
    ),
    st.sampled_from(_BYTES),
)
def test_fast_lines_agree_on_mutated_bytes(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    fmt: str,
    edits: list[tuple[float, str]],
    byte: int,
) -> None:
    config = JepsenGenConfig(ops=40, processes=3, keys=2, info_ratio=0.1, hole_ratio=0.2)
    history = generate_jepsen(config, seed)
    path = tmp_path_factory.mktemp("h") / f"h.{fmt}"
    data = bytearray(write(history, path, fmt))
    for where, how in edits:
        at = int(where * (len(data) - 1))
        if how == "delete":
            del data[at]
        elif how == "insert":
            data.insert(at, byte)
        else:
            data[at] = byte
    path.write_bytes(bytes(data))
    assert_same(path)
    assert_same(path, data=bytes(data))  # standard input, read from memory


@pytest.mark.parametrize("fmt", ["edn", "jsonl"])
def test_known_shapes_take_the_fast_path(tmp_path: Path, fmt: str) -> None:
    """The benchmark's shapes are taken by the loop (not silently all sent to the full
    reader): a test that the fast path exists, not only that it agrees."""
    config = JepsenGenConfig(ops=200, processes=4, keys=3, info_ratio=0.05, fail_ratio=0.02)
    path = tmp_path / f"h.{fmt}"
    write(generate_jepsen(config, 3), path, fmt)
    from replicheck.checker.jepsen_kafka import JepsenKafka
    from replicheck.checker.log_anomalies import check_micro_ops

    lines = jepsen_lines.JepsenLines(path, None, JepsenKafka())
    check_micro_ops(lines.feed)
    assert lines.slow_lines <= 0.25 * (lines.position + 1)
    assert_same(path)


@pytest.mark.parametrize(
    ("line", "fmt"),
    [
        (
            "{:type :invoke, :process 0, :f :poll, :value [[:poll {0 [[1 2]}]], :index 0, :time 0}",
            "edn",
        ),
        (
            '{"type":"invoke","process":0,"f":"poll","value":[["poll",{"0":[[1,2]}]],"index":0,"time":0}',
            "jsonl",
        ),
    ],
)
def test_bad_first_line_is_the_readers_error(tmp_path: Path, line: str, fmt: str) -> None:
    path = tmp_path / f"h.{fmt}"
    path.write_text(line + "\n")
    result = assert_same(path)
    assert result[0] == "error" and ":1:" in result[1]


@pytest.mark.parametrize(
    "line",
    [
        "{:type :invoke, :process 0, :f :send, :value [[:send 0 01]], :index 0, :time 0}",
        "{:type :invoke, :process 0, :f :send, :value [[:send 0 1]], :index 0, :time 0}",
        "{:type :invoke, :process 0, :f :poll, :value [[:poll {0 [[0 1]] 0 [[1 2]]}]], :index 0, :time 0}",
        "{:type :invoke, :process 0, :f :poll, :value [[:poll {0 [[0 1]], 1 [[1 2]]}]], :index 0, :time 0}",
    ],
)
def test_lines_the_fast_path_leaves_alone_read_alike(tmp_path: Path, line: str) -> None:
    """A leading zero or a repeated map key is the full reader's business; both paths agree."""
    path = tmp_path / "h.edn"
    ok = line.replace(":type :invoke", ":type :ok").replace(", :index 0", ", :index 1")
    path.write_text(line + "\n" + ok + "\n")
    assert_same(path)


def _poll_pair(fmt: str, result: str) -> str:
    if fmt == "edn":
        invoke = "{:type :invoke, :process 0, :f :poll, :value [[:poll]], :index 0, :time 0}"
        done = "{:process 0, :f :poll, :type :ok, :value [[:poll {0 %s}]], :index 1, :time 1}"
    else:
        invoke = '{"type":"invoke","process":0,"f":"poll","value":[["poll"]],"index":0,"time":0}'
        done = '{"process":0,"f":"poll","type":"ok","value":[["poll",{"0":%s}]],"index":1,"time":1}'
    return invoke + "\n" + done % result + "\n"


@pytest.mark.parametrize("fmt", ["edn", "jsonl"])
@pytest.mark.parametrize(
    "records",
    [
        "[[0 1]]",
        "[[0 1] [1 2]]",
        "[" * 70 + "0" + "]" * 70,  # deeper than the readers' bound: their error
        "[" * 58 + "0" + "]" * 58,  # within it
        "[" * 60 + "0" + "]" * 60,  # the line 64 deep: the bound
        "[" * 61 + "0" + "]" * 61,  # 65 deep: one too many
        "[[0 12345678901234567890123]]",  # beyond 64 bits: exact, as the reader has it
        "[[0 1234567890123456789]]",
        "[[0 1] [0 1]]",
        "[[0]]",
        "[[0 [1]]]",
        "[]",
        "[[-1 2]]",
    ],
)
def test_poll_results_read_alike(tmp_path: Path, fmt: str, records: str) -> None:
    if fmt == "jsonl":
        records = records.replace(" ", ",")
    path = tmp_path / f"h.{fmt}"
    path.write_text(_poll_pair(fmt, records))
    assert_same(path)
    many = tmp_path / f"many.{fmt}"  # the same line among many ordinary ones
    history = generate_jepsen(JepsenGenConfig(ops=30, processes=2, keys=1), 1)
    write(history, many, fmt)
    lines = many.read_text().splitlines(keepends=True)
    last = max(op["index"] for op in history)
    extra = _poll_pair(fmt, records).replace('"index":0', f'"index":{last + 1}')
    extra = extra.replace(":index 0", f":index {last + 1}").replace(
        ":index 1,", f":index {last + 2},"
    )
    extra = extra.replace('"index":1,', f'"index":{last + 2},').replace("process 0", "process 9")
    extra = extra.replace('"process":0', '"process":9')
    many.write_text("".join(lines[: len(lines) // 2]) + extra + "".join(lines[len(lines) // 2 :]))
    assert_same(many)
