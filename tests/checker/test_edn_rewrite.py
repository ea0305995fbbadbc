"""The EDN fast path's rewrite into JSON objects (replicheck.checker.edn_fast) against the
full reader: on Clojure-printed values of the vocabulary it supports (maps with keyword,
integer and string keys, in Jepsen's `, ` style), and on Jepsen lines mutated byte by byte
so that separators, brackets and tokens land where the rewrite guesses wrong. Wherever
the fast path answers, it must be the full reader's value; where the full reader rejects
a line, the fast path must not answer."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.checker.edn import EdnError, loads
from replicheck.checker.edn_fast import BLOCK_MIN_LINES, parse_fast_block, parse_fast_op
from replicheck.testing.jepsen_gen import JepsenGenConfig, generate_jepsen, to_edn_line

words = st.from_regex(r"[a-z][a-z0-9\-?]{0,5}", fullmatch=True)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    words.map(lambda w: ("kw", w)),
    st.from_regex(r"[A-Za-z0-9_.\-/]{0,4}", fullmatch=True).map(lambda s: ("str", s)),
)
map_keys = st.one_of(
    words.map(lambda w: ("kw", w)),
    st.integers(-20, 20),
    st.from_regex(r"[a-z0-9]{0,3}", fullmatch=True).map(lambda s: ("str", s)),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(st.tuples(map_keys, children), max_size=3).map(lambda items: ("map", items)),
    ),
    max_leaves=12,
)


def clojure(value: Any) -> str:
    """Print like Clojure's `pr`: maps as `{k v, k v}`, vectors with spaces."""
    if value is None:
        return "nil"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is list:
        return "[" + " ".join(clojure(v) for v in value) + "]"
    tag, body = value
    if tag == "kw":
        return ":" + body
    if tag == "str":
        return '"' + body + '"'
    return "{" + ", ".join(f"{clojure(k)} {clojure(v)}" for k, v in body) + "}"


def repeated_keys(value: Any) -> bool:
    """Whether some map in `value` names one key twice (as the readers see keys)."""
    if type(value) is list:
        return any(repeated_keys(v) for v in value)
    if type(value) is not tuple or value[0] != "map":
        return False
    names = [k if type(k) is int else k[1] for k, _ in value[1]]
    return len(set(names)) < len(names) or any(repeated_keys(v) for _, v in value[1])


def full(line: bytes) -> Any:
    """The full reader's value, or EdnError's class when it rejects the line."""
    try:
        return loads(line.decode())
    except EdnError:
        return EdnError


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(map_keys, values), max_size=5))
def test_clojure_printed_maps_read_as_the_full_reader_reads_them(items: list) -> None:
    line = clojure(("map", items)).encode()
    fast = parse_fast_op(line)
    reference = full(line)
    assert reference is not EdnError
    assert fast is None or fast == reference
    if b"null" not in line and not repeated_keys(("map", items)):
        assert fast == reference  # Clojure's printing of this vocabulary: never declined


JEPSEN = [
    to_edn_line(op).encode()
    for op in generate_jepsen(JepsenGenConfig(ops=60, processes=3, keys=3), 11)
]
MUTATION_BYTES = b' ,:{}[]"0-1a#\n'


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    line = bytearray(draw(st.sampled_from(JEPSEN)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = draw(st.sampled_from(MUTATION_BYTES))
        if action == "insert":
            line[at:at] = bytes([byte])
        elif at < len(line):
            if action == "delete":
                del line[at]
            else:
                line[at] = byte
    return bytes(line).replace(b"\n", b" ")


@settings(max_examples=1500, deadline=None)
@given(mutated())
def test_mutated_jepsen_lines_never_read_differently(line: bytes) -> None:
    fast = parse_fast_op(line)
    if fast is not None:
        assert fast == full(line)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(mutated(), st.sampled_from(JEPSEN)), max_size=3 * BLOCK_MIN_LINES))
def test_a_block_of_mutated_lines_equals_line_by_line(lines: list[bytes]) -> None:
    block = [line + b"\n" for line in lines]
    assert parse_fast_block(block) == [parse_fast_op(line) for line in block]


def test_every_generated_jepsen_line_takes_the_fast_path() -> None:
    for line in JEPSEN:
        assert parse_fast_op(line) == full(line), line


def test_map_keys_keep_their_types() -> None:
    line = b'{:value [[:poll {0 [[1 2]], "0" [[3 4]], -1 []}]], :k {:a {2 :x}}}'
    assert (
        parse_fast_op(line)
        == full(line)
        == {
            "value": [["poll", {0: [[1, 2]], "0": [[3, 4]], -1: []}]],
            "k": {"a": {2: "x"}},
        }
    )
    # a repeated key: both readers keep the last value (the fast path leaves it to the
    # full reader, since its key count no longer matches)
    assert parse_fast_op(b"{:value [[:poll {0 [], 0 [[1 1]]}]]}") is None
    assert full(b"{:value [[:poll {0 [], 0 [[1 1]]}]]}") == {"value": [["poll", {0: [[1, 1]]}]]}
    # separators in the wrong places: invalid JSON after the rewrite, so declined
    # EDN's symbol `null` is a symbol, not nil; a colon that starts no keyword
    assert full(b"{:a null}") == {"a": "null"}
    assert parse_fast_op(b"{:a null}") is None
    assert full(b"{:f::assign}") is EdnError and parse_fast_op(b"{:f::assign}") is None
    for line in (b"{:a 1 :b 2}", b"{:a, 1}", b"[1, 2]", b"{:a [1, 2 3]}", b"{:a :b, :c}"):
        assert parse_fast_op(line) is None or parse_fast_op(line) == full(line), line
