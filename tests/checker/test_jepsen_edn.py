"""Reading Jepsen's EDN: every Kafka op shape round-trips against edn_format (the
reference reader), and the fast path agrees with the full reader wherever it answers."""

from __future__ import annotations

import edn_format
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.checker.edn import loads
from replicheck.checker.edn_fast import parse_fast_op
from replicheck.testing.jepsen_gen import to_edn_line

from .test_history import edn_values, normalise_reference

keys = st.one_of(st.integers(0, 99), st.from_regex(r"[0-9a-z]{1,3}", fullmatch=True))
values = st.integers(0, 10**12)
offsets = st.integers(0, 10**9)
records = st.lists(st.tuples(offsets, values).map(list), max_size=4)
send_invoke = st.tuples(st.just("send"), keys, values).map(list)
send_done = st.tuples(
    st.just("send"), keys, st.tuples(st.one_of(st.none(), offsets), values).map(list)
).map(list)
poll_done = st.tuples(st.just("poll"), st.dictionaries(keys, records, max_size=3)).map(list)


@st.composite
def jepsen_ops(draw: st.DrawFn) -> dict:
    """One Jepsen Kafka op of any shape the workload writes."""
    f = draw(st.sampled_from(["send", "poll", "txn", "assign", "subscribe", "crash"]))
    kind = draw(st.sampled_from(["invoke", "ok", "info", "fail"]))
    op: dict = {"type": kind, "f": f, "process": draw(st.integers(0, 50))}
    if f in ("assign", "subscribe"):
        op["value"] = draw(st.lists(keys, max_size=4))
        if f == "assign" and draw(st.booleans()):
            op["seek-to-beginning?"] = True
    elif f == "crash":
        op["value"] = None
    else:
        invoke_mops = {"send": send_invoke, "poll": st.just(["poll"])}
        done_mops = {"send": send_done, "poll": poll_done}
        pick = list(invoke_mops) if f == "txn" else [f]
        table = invoke_mops if kind != "ok" else done_mops
        op["value"] = draw(
            st.lists(st.sampled_from(pick).flatmap(lambda m: table[m]), min_size=1, max_size=3)
        )
    if draw(st.booleans()):
        op["rebalance-log"] = draw(st.lists(st.fixed_dictionaries({"keys": st.lists(keys, max_size=2)}), max_size=2))
    if draw(st.booleans()):
        op["index"], op["time"] = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**15))
    if kind == "info" and draw(st.booleans()):
        op["error"] = draw(st.sampled_from(["timeout", "crashed", "no-leader"]))
    return op


@settings(max_examples=200, deadline=None)
@given(jepsen_ops())
def test_every_op_shape_round_trips_against_edn_format(op: dict) -> None:
    line = to_edn_line(op)
    reference = normalise_reference(edn_format.loads(line))
    assert reference == op
    assert loads(line) == op
    fast = parse_fast_op(line.encode())
    assert fast == op  # Jepsen's common shapes all take the fast path


@settings(max_examples=100, deadline=None)
@given(jepsen_ops())
def test_edn_format_printing_style_takes_the_fast_path_too(op: dict) -> None:
    # edn_format prints without commas and with keywords Jepsen would write as keywords
    line = edn_format.dumps(_as_edn(op, top=True))
    fast = parse_fast_op(line.encode())
    assert fast is None or fast == loads(line)
    assert loads(line) == normalise_reference(edn_format.loads(line))


def _as_edn(value: object, top: bool = False) -> object:
    if isinstance(value, dict):
        return {
            edn_format.Keyword(k) if isinstance(k, str) and top else k: (
                edn_format.Keyword(v) if top and k in ("type", "f") else _as_edn(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_as_edn(v) for v in value]
    return value


# values near the fast path's vocabulary, and some just outside it
near_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.from_regex(r"[\w.\-/ :,{}\[\]]{0,5}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9\-?!/]{0,5}", fullmatch=True).map(edn_format.Keyword),
)
near_values = st.recursive(
    near_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.integers(0, 9), st.from_regex(r"[a-z]{1,3}", fullmatch=True)), children, max_size=3),
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9\-?]{0,6}", fullmatch=True), st.one_of(near_values, edn_values), max_size=4))
def test_fast_path_agrees_with_the_full_reader_wherever_it_answers(value: dict) -> None:
    text = edn_format.dumps({edn_format.Keyword(k): v for k, v in value.items()})
    fast = parse_fast_op(text.encode())
    if fast is not None:
        assert fast == loads(text)


def test_fast_path_declines_what_it_cannot_read_exactly() -> None:
    for line in (
        b"{:a 123456789012345678901}",  # beyond 64 bits: orjson would round it
        b'{:a "two words"}',
        b"{:a #{1 2}}",
        b"{:a (1 2)}",
        b"{:a #inst \"2020-01-01\"}",
        b'{:a "esc\\"aped"}',
        b"{:a 1N}",
        b"{:a sym}",
        b"{[1] 2}",
        b"[1 2]",
        b"{:a " + b"[" * 64 + b"]" * 64 + b"}",  # deeper than the nesting bound
        b"{:a " + b"{:a " * 990 + b"1" + b"}" * 991,
    ):
        assert parse_fast_op(line) is None, line
    assert parse_fast_op(b"{ :a [ 1 2 ] }") == {"a": [1, 2]}
    assert parse_fast_op(b"{:a " + b"[" * 63 + b"]" * 63 + b"}") is not None
    assert parse_fast_op(b"{:a nil, :b [nil true false -3 1.5], :nil-x :nil}") == {
        "a": None,
        "b": [None, True, False, -3, 1.5],
        "nil-x": "nil",
    }


def test_json_lines_of_the_same_shape_parse_to_the_same_ops() -> None:
    op = {"type": "ok", "f": "poll", "process": 1, "value": [["poll", {"3": [[0, 7]]}]]}
    assert orjson.loads(orjson.dumps(op)) == op
