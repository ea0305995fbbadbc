"""`replicheck check` on mutated histories: a documented exit code, never a traceback.

Valid histories (register, kv, log; JSON Lines and EDN) are mutated field by field, line
by line and byte by byte. Whatever comes out, `check` must answer with an exit code of its
contract (0 ok, 1 violation, 2 bad input, 3 unknown), print no traceback, and leave an
existing `--html` file untouched when it rejects the input.
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
from replicheck.testing.log_gen import GenConfig, generate_history

CHECK_EXITS = {0, 1, 2, 3}
SENTINEL = "previous report, must survive a rejected input"


def _op(p: int, kind: str, f: str, value: Any = None, **extra: Any) -> dict:
    return {"process": p, "type": kind, "f": f, "value": value, **extra}


REGISTER = [
    _op(0, "invoke", "write", 1),
    _op(1, "invoke", "read"),
    _op(0, "ok", "write", 1),
    _op(1, "ok", "read", 1),
    _op(0, "invoke", "cas", [1, 2]),
    _op(0, "ok", "cas", [1, 2]),
]
KV = [
    _op(0, "invoke", "put", "a", key="x"),
    _op(0, "ok", "put", "a", key="x"),
    _op(1, "invoke", "get", None, key="x"),
    _op(1, "ok", "get", "a", key="x"),
]
LOG = generate_history(GenConfig(ops=10, processes=2, partitions=1, max_poll_records=3), 5)
BASES = {"register": REGISTER, "kv": KV, "log": LOG}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, 2**64 + 1, -(2**63) - 1, 10**30, 10**30 + 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(["invoke", "ok", "fail", "info", "send", "poll", "read", "write"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = ["process", "type", "f", "value", "key", "offset", "index", "time", "final"]


def _deep(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated_history(draw: st.DrawFn) -> tuple[str, bytes, str]:
    model = draw(st.sampled_from(sorted(BASES)))
    ops = [dict(op) for op in BASES[model]]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(ops) - 1))
        action = draw(st.sampled_from(["set", "delete", "swap", "dup", "drop", "deep", "index"]))
        if action == "set":
            ops[i][draw(st.sampled_from(FIELDS))] = draw(values)
        elif action == "delete" and ops[i]:
            ops[i].pop(draw(st.sampled_from(sorted(ops[i]))))
        elif action == "swap":
            j = draw(st.integers(0, len(ops) - 1))
            ops[i], ops[j] = ops[j], ops[i]
        elif action == "dup":
            ops.insert(i, dict(ops[i]))
        elif action == "drop" and len(ops) > 1:
            ops.pop(i)
        elif action == "deep":
            ops[i]["value"] = _deep(draw(st.sampled_from([10, 70, 300])))
        elif action == "index":
            ops[i]["index"] = draw(st.integers(-2, len(ops) + 2))
    edn = draw(st.booleans())
    text = "".join((_edn(op) if edn else json.dumps(op)) + "\n" for op in ops)
    data = text.encode()
    if draw(st.booleans()):  # byte-level damage
        at = draw(st.integers(0, len(data)))
        junk = draw(
            st.sampled_from(
                [
                    b"",
                    b"\xef\xbb\xbf",
                    b"\xff",
                    b"{",
                    b"\\uZZZZ",
                    b"1/0",
                    b"\n\n",
                    b"[" * 1100 + b"]" * 1100,
                ]
            )
        )
        data = data[:at] + junk + data[at + draw(st.integers(0, 3)) :]
    return model, data, ".edn" if edn else ".jsonl"


def _edn(value: Any) -> str:
    if isinstance(value, dict):
        return (
            "{"
            + " ".join(
                f":{k} {_edn(v)}" if k.isidentifier() else f"{_edn(k)} {_edn(v)}"
                for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + " ".join(_edn(v) for v in value) + "]"
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _assert_clean(result: Any, allowed: set[int]) -> None:
    assert result.exit_code in allowed, (result.exit_code, result.output)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_history(), as_json=st.booleans())
def test_check_answers_every_mutated_history_with_a_documented_exit(case, as_json: bool) -> None:
    model, data, suffix = case
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / f"h{suffix}"
        history.write_bytes(data)
        html = Path(tmp) / "out.html"
        html.write_text(SENTINEL)
        args = ["check", str(history), "--model", model, "--html", str(html)]
        result = CliRunner().invoke(cli, args + (["--json"] if as_json else []))
        _assert_clean(result, CHECK_EXITS)
        if result.exit_code == 2:
            assert html.read_text() == SENTINEL, "a rejected input clobbered the report"
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("error: "), result.output


option_values = st.sampled_from(["nan", "inf", "-1", "0", "1e-9", "x", "", "3", "1.5", "10**9"])


@settings(max_examples=30, deadline=None)
@given(
    timeout=option_values,
    max_poll=option_values,
    model=st.sampled_from(["register", "kv", "log", "nope"]),
    stdin=st.booleans(),
)
def test_check_options_are_validated(timeout: str, max_poll: str, model: str, stdin: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / "h.jsonl"
        data = "".join(json.dumps(op) + "\n" for op in LOG)
        history.write_text(data)
        args = ["check", "-" if stdin else str(history), "--model", model, "--timeout", timeout]
        args += ["--max-poll-records", max_poll]
        result = CliRunner().invoke(cli, args, input=data if stdin else None)
        _assert_clean(result, CHECK_EXITS)
        if timeout in ("nan", "inf", "-1", "0", "x", "", "10**9"):
            assert result.exit_code == 2
