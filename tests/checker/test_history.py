"""Reading, validating and pairing histories (JSON Lines and Jepsen EDN)."""

from __future__ import annotations

import json
from pathlib import Path

import edn_format
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.checker.edn import EdnError, loads
from replicheck.checker.history import (
    NEVER_RETURNED,
    HistoryError,
    dump_jsonl,
    iter_ops,
    pair_operations,
    read_history,
    validate_ops,
)


def write_lines(tmp_path: Path, lines: list[str], name: str = "h.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = [
    '{"process": 0, "type": "invoke", "f": "write", "value": 1}',
    '{"process": 1, "type": "invoke", "f": "read", "value": null}',
    "",
    '{"process": 0, "type": "ok", "f": "write", "value": 1, "time": 5}',
    '{"process": 1, "type": "ok", "f": "read", "value": 1}',
]


def test_jsonl_history_streams_every_op_and_skips_blank_lines(tmp_path: Path) -> None:
    ops = read_history(write_lines(tmp_path, GOOD))
    assert [op["type"] for op in ops] == ["invoke", "invoke", "ok", "ok"]
    assert ops[2]["time"] == 5


@pytest.mark.parametrize(
    ("bad_line", "line_number", "fragment"),
    [
        ("{not json", 2, "invalid JSON"),
        ('[1, 2]', 2, "expected an operation object"),
        ('{"process": 5, "f": "read"}', 2, "missing field 'type'"),
        ('{"process": 5, "type": "okay", "f": "read"}', 2, "must be invoke, ok, fail or info"),
        ('{"type": "invoke", "f": "read"}', 2, "missing field 'process'"),
        ('{"process": 5, "type": "invoke"}', 2, "missing field 'f'"),
        ('{"process": 5, "type": "invoke", "f": 3}', 2, "'f' must be a string"),
        ('{"process": 1.5, "type": "invoke", "f": "read"}', 2, "'process' must be an integer"),
        ('{"process": 5, "type": "invoke", "f": "read", "time": -1}', 2, "non-negative integer"),
        ('{"process": 5, "type": "ok", "f": "read"}', 2, "without an outstanding invocation"),
        ('{"process": 0, "type": "invoke", "f": "read"}', 2, "invokes again while its invocation on line 1"),
        ('{"process": 0, "type": "ok", "f": "read"}', 2, "does not match the invocation on line 1"),
    ],
)
def test_malformed_histories_name_file_line_and_reason(
    tmp_path: Path, bad_line: str, line_number: int, fragment: str
) -> None:
    path = write_lines(tmp_path, ['{"process": 0, "type": "invoke", "f": "write", "value": 1}', bad_line])
    with pytest.raises(HistoryError) as caught:
        read_history(path)
    assert caught.value.line == line_number
    assert fragment in caught.value.reason
    assert str(caught.value).startswith(f"{path}:{line_number}: ")


def test_missing_file_is_a_history_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="cannot open"):
        read_history(tmp_path / "absent.jsonl")


def test_edn_history_is_detected_by_content_and_keywords_become_strings(tmp_path: Path) -> None:
    lines = [
        "{:process 0, :type :invoke, :f :cas, :value [1 2]}",
        "{:process :nemesis, :type :info, :f :start, :value nil}",
        "{:process 0, :type :fail, :f :cas, :value [1 2], :time 12}",
    ]
    ops = read_history(write_lines(tmp_path, lines, name="history.txt"))
    assert ops[0] == {"process": 0, "type": "invoke", "f": "cas", "value": [1, 2]}
    assert ops[1]["process"] == "nemesis"  # named processes pass through unpaired
    assert ops[2]["type"] == "fail" and ops[2]["time"] == 12


def test_bad_edn_reports_the_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path, ["{:process 0, :type :invoke, :f :read}", "{:process 0 :type"], "h.edn")
    with pytest.raises(HistoryError) as caught:
        read_history(path)
    assert caught.value.line == 2 and "invalid EDN" in caught.value.reason


def test_validate_ops_counts_positions_from_one() -> None:
    with pytest.raises(HistoryError) as caught:
        validate_ops([{"process": 0, "type": "ok", "f": "read"}], source="<test>")
    assert str(caught.value).startswith("<test>:1: ")


def test_pairing_keeps_info_and_unmatched_invocations_open_forever() -> None:
    ops = validate_ops(
        [
            {"process": 0, "type": "invoke", "f": "write", "value": 1},
            {"process": 1, "type": "invoke", "f": "write", "value": 2},
            {"process": 2, "type": "invoke", "f": "read", "value": None},
            {"process": 0, "type": "info", "f": "write", "value": 1},
            {"process": 1, "type": "fail", "f": "write", "value": 2},
            {"process": "nemesis", "type": "info", "f": "kill"},
        ]
    )
    paired = pair_operations(ops)
    assert [(op.process, op.type, op.call, op.ret) for op in paired] == [
        (0, "info", 0, NEVER_RETURNED),
        (1, "fail", 1, 4),
        (2, "info", 2, NEVER_RETURNED),
    ]
    assert paired[1].value == 2


def test_dump_jsonl_round_trips(tmp_path: Path) -> None:
    ops = read_history(write_lines(tmp_path, GOOD))
    out = tmp_path / "out.jsonl"
    dump_jsonl(ops, out)
    assert list(iter_ops(out)) == ops
    assert json.loads(out.read_text().splitlines()[0]) == ops[0]


# --- the fast EDN reader agrees with edn_format, the reference implementation -------------

keywords = st.from_regex(r"[a-z][a-z0-9\-]{0,6}(/[a-z][a-z0-9]{0,4})?", fullmatch=True)
edn_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    keywords.map(lambda k: edn_format.Keyword(k)),
)
edn_values = st.recursive(
    edn_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keywords.map(lambda k: edn_format.Keyword(k)), children, max_size=4),
    ),
    max_leaves=12,
)


def normalise_reference(value: object) -> object:
    """What our reader should produce for a value edn_format parsed."""
    if isinstance(value, edn_format.Keyword):
        return value.name
    if isinstance(value, dict) or type(value).__name__ == "ImmutableDict":
        return {normalise_reference(k): normalise_reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "ImmutableList":
        return [normalise_reference(v) for v in value]
    return value


@settings(max_examples=200)
@given(edn_values)
def test_fast_edn_reader_matches_edn_format(value: object) -> None:
    text = edn_format.dumps(value)
    assert loads(text) == normalise_reference(edn_format.loads(text))


@pytest.mark.parametrize("text", ["{:a}", "[1 2", "(1 2]", "", '"unterminated', "1 2"])
def test_fast_edn_reader_rejects_malformed_text(text: str) -> None:
    with pytest.raises(EdnError):
        loads(text)


# --- the streaming fast path accepts and rejects exactly what the full validator does -----

loose_ops = st.fixed_dictionaries(
    {
        "process": st.one_of(st.integers(-1, 2), st.just("nemesis"), st.just(1.5)),
        "type": st.sampled_from(["invoke", "ok", "fail", "info", "okay"]),
        "f": st.sampled_from(["send", "poll", 3]),
    },
    optional={"time": st.integers(-1, 5), "index": st.one_of(st.integers(0, 5), st.just("x"))},
)


@settings(max_examples=300)
@given(st.lists(loose_ops, max_size=8))
def test_streaming_reader_agrees_with_in_memory_validation(tmp_path_factory, ops) -> None:
    path = tmp_path_factory.mktemp("h") / "h.jsonl"
    path.write_text("".join(json.dumps(op) + "\n" for op in ops))

    def outcome(read):
        try:
            return ("ok", read())
        except HistoryError as exc:
            return ("error", exc.line, exc.reason)

    assert outcome(lambda: read_history(path)) == outcome(lambda: validate_ops(ops, str(path)))
