"""The block-at-a-time checks of the readers agree with the line-by-line ones: the EDN
fast path over a block equals it line by line (itself checked against the full reader
and edn_format), and a JSON block judged shallow has no line nested too deep."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.checker.edn_fast import BLOCK_MIN_LINES, parse_fast_block, parse_fast_op
from replicheck.checker.history import HistoryError, _maybe_deep, iter_ops
from replicheck.checker.json_values import MAX_NESTING, too_deep
from replicheck.testing.jepsen_gen import JepsenGenConfig, generate_jepsen, to_edn_line

GOOD = [
    (to_edn_line(op) + "\n").encode()
    for op in generate_jepsen(JepsenGenConfig(ops=40, processes=3, keys=2), 7)
]
# lines the fast path must decline or treat specially, alone or among good ones
ODD = [
    b"\n",
    b"   \n",
    b" {:type :ok, :f :poll, :process 1}\n",
    b"{:type :ok, :f :poll, :process 1}  \n",
    b'{:a "two words"}\n',
    b'{:a "w"}\n',
    b"{:a #{1 2}}\n",
    b"{:a 123456789012345678901}\n",
    b"{:a nil, :b [nil 1]}\n",
    b"{:a " + b"[" * 64 + b"]" * 64 + b"}\n",
    b"{:a " + b"[" * 63 + b"]" * 63 + b"}\n",
    b"{:a [1 2}\n",
    b"{:type :ok, :f :poll, :process\n",
    b"[1 2]\n",
    b"{:a\x0c1}\n",
    b"{:a {:b {:c 1}}, :value [[:poll {1 [[0 1]]}]]}\n",
    b"{}\n",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.sampled_from(GOOD), st.sampled_from(ODD)), max_size=4 * BLOCK_MIN_LINES),
    st.booleans(),
)
def test_edn_block_equals_line_by_line(lines: list[bytes], cut_last: bool) -> None:
    if cut_last and lines:
        lines[-1] = lines[-1].rstrip(b"\n")
    assert parse_fast_block(lines) == [parse_fast_op(line) for line in lines]


def test_a_block_of_jepsen_lines_takes_the_block_path() -> None:
    ops = parse_fast_block(GOOD)
    assert None not in ops and len(ops) == len(GOOD) > BLOCK_MIN_LINES


json_scalars = st.one_of(st.integers(-3, 3), st.none(), st.text(alphabet='ab[]{}"\\', max_size=4))
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(alphabet='a[]"', max_size=2), children, max_size=3),
    ),
    max_leaves=40,
)


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(json_values, st.sampled_from([nested(64), nested(65), ["]" * 70, nested(60)]])),
        max_size=6,
    )
)
def test_a_json_block_judged_shallow_has_no_deep_line(values: list) -> None:
    text = b"".join(orjson.dumps(v) + b"\n" for v in values)
    if not _maybe_deep(text):
        assert not any(too_deep(v, MAX_NESTING) for v in values)
    if any(too_deep(v, MAX_NESTING) for v in values):
        assert _maybe_deep(text)


@pytest.mark.parametrize("suffix", ["edn", "jsonl"])
def test_a_deep_line_deep_inside_a_file_is_reported_at_its_line(tmp_path, suffix: str) -> None:
    history = generate_jepsen(JepsenGenConfig(ops=60, processes=3, keys=2), 3)
    history[50]["extra"] = nested(70)
    if suffix == "edn":
        text = "".join(to_edn_line(op) + "\n" for op in history)
    else:
        text = "".join(
            orjson.dumps(op, option=orjson.OPT_NON_STR_KEYS).decode() + "\n" for op in history
        )
    path = tmp_path / f"h.{suffix}"
    path.write_text(text)
    with pytest.raises(HistoryError) as caught:
        list(iter_ops(path))
    assert caught.value.line == 51
    assert "nested deeper" in caught.value.reason
    del history[50]["extra"]
    history[50]["extra"] = nested(60)
    text = "".join(
        (
            to_edn_line(op)
            if suffix == "edn"
            else orjson.dumps(op, option=orjson.OPT_NON_STR_KEYS).decode()
        )
        + "\n"
        for op in history
    )
    path.write_text(text)
    assert len(list(iter_ops(path))) == len(history)
