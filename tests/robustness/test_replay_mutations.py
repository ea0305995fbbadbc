"""`replicheck replay` on mutated case files: a documented exit code, never a traceback.

A saved regression case is mutated one field at a time (config, step arguments, top-level
fields) and at the text level. `replay` must exit 0, 1 or 2, print no traceback, create
no report folder when it rejects the case, and reject every value whose JSON type is not
the field's (the string "no" is not a boolean, 3.5 and 1.0 are not integers).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.cli import cli

REPLAY_EXITS = {0, 1, 2}
BASE_PATH = Path(__file__).parents[1] / "regressions" / "unclean-election.case.json"
BASE = json.loads(BASE_PATH.read_text(encoding="utf-8"))

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.sampled_from([0.0, 1.0, 3.5, -1, 10**9, 2**64, 10**30, "no", "yes", "soon", "2", ""]),
    st.sampled_from(["-acks-one", "acks-one", ["nope"], [], {}, [[["b1"]]], [["b9", "b1"]]]),
    st.text(max_size=4),
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        out = [prefix] if prefix else []
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
        return out
    if isinstance(value, list):
        out = [prefix]
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
        return out
    return [prefix]


PATHS = _paths(BASE)


def _set(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    if value is _DELETE:
        del data[path[-1]]
    else:
        data[path[-1]] = value


_DELETE = object()


@st.composite
def mutated_case(draw: st.DrawFn) -> tuple[bytes, tuple, Any, Any, bool]:
    data = json.loads(json.dumps(BASE))
    path = draw(st.sampled_from(PATHS))
    original: Any = data
    for key in path:
        original = original[key]
    value = draw(st.one_of(values, st.just(_DELETE)))
    _set(data, path, value)
    text = json.dumps(data, indent=1).encode()
    damaged = draw(st.integers(0, 5)) == 0
    if damaged:
        at = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff", b"[" * 2000, b"NaN", b"}"]))
        text = text[:at] + junk + text[at:]
    return text, path, original, value, damaged


def _type_of(value: Any) -> str:
    return type(value).__name__


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_case())
def test_replay_answers_every_mutated_case_with_a_documented_exit(case) -> None:
    text, path, original, value, damaged = case
    with tempfile.TemporaryDirectory() as tmp:
        case_path = Path(tmp) / "m.case.json"
        case_path.write_bytes(text)
        reports = Path(tmp) / "reports"
        result = CliRunner().invoke(cli, ["replay", str(case_path), "--report-dir", str(reports)])
        assert result.exit_code in REPLAY_EXITS, (result.exit_code, result.output)
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code == 2:
            assert not reports.exists(), "a rejected case created a report folder"
        wrong_type = value is not _DELETE and _type_of(value) != _type_of(original)
        if path[0] == "config" and len(path) == 2 and wrong_type and not damaged:
            assert result.exit_code == 2, (path, value, result.output)
            assert f"config.{path[1]}" in result.output, result.output
