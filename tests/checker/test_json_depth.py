"""The text-level nesting bound agrees with the walk over the parsed value."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.checker.json_values import too_deep, too_deep_text

# strings with brackets, quotes and escapes: the cases the text reading must hand back
scalars = st.one_of(
    st.integers(-5, 5),
    st.none(),
    st.text(alphabet='ab[]{}"\\\n', max_size=4),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(alphabet="ab[]{}\"", max_size=3), children, max_size=3),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(values, st.integers(0, 12))
def test_text_depth_agrees_with_the_walk(value: object, limit: int) -> None:
    raw = orjson.dumps(value)
    assert too_deep_text(raw, value, limit) == too_deep(value, limit)


def test_text_depth_sees_deep_and_shallow_polls() -> None:
    deep: list = []
    for _ in range(70):
        deep = [deep]
    assert too_deep_text(orjson.dumps(deep), deep)
    poll = {"type": "ok", "value": [["poll", {"3": [[i, i] for i in range(500)]}]]}
    assert not too_deep_text(orjson.dumps(poll), poll, 6)
    assert too_deep_text(orjson.dumps(poll), poll, 5)  # op, vector, micro-op, map, records, record
