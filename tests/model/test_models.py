"""The sequential models on concrete states, their input validation and descriptions."""

from __future__ import annotations

from typing import Any

import pytest

from replicheck.model import (
    MODELS,
    REJECT,
    Call,
    LogNode,
    Model,
    ModelInputError,
    freeze,
    get_model,
)


def call(f: str, value: Any = None, out: Any = None, status: str = "ok", **extra: Any) -> Call:
    invoke = {"process": 0, "type": "invoke", "f": f, "value": value, "index": 0}
    invoke.update({k: v for k, v in extra.items() if k in ("offset", "max_records", "key")})
    completion = {"process": 0, "type": status, "f": f, "value": out, "index": 1}
    completion.update({k: v for k, v in extra.items() if k == "ack_offset"})
    if "ack_offset" in completion:
        completion["offset"] = completion.pop("ack_offset")
    return Call(
        process=0,
        f=f,
        key=extra.get("key"),
        status=status,
        call_pos=0,
        return_pos=1 if status == "ok" else None,
        invoke=invoke,
        completion=completion,
    )


def test_registry_names() -> None:
    assert sorted(MODELS) == ["kv", "log", "register"]
    assert isinstance(get_model("kv"), Model)


# --- register -------------------------------------------------------------------------


def test_register_steps() -> None:
    m = get_model("register")
    assert m.init() is None
    assert m.step(None, call("write", 3, 3)) == (True, 3)
    assert m.step(3, call("read", None, 3)) == (True, 3)
    assert m.step(3, call("read", None, 4)) == (False, 3)
    assert m.step(None, call("read", None, None)) == (True, None)
    assert m.step(3, call("cas", [3, 4], [3, 4])) == (True, 4)
    assert m.step(2, call("cas", [3, 4], [3, 4])) == (False, 2)
    assert m.step(3, call("cas", [3, 4], status="info")) == (True, 4)


def test_register_info_read_is_dropped() -> None:
    assert get_model("register").compile(call("read", status="info")) is None


def test_register_values_are_frozen() -> None:
    m = get_model("register")
    allowed, state = m.step(None, call("write", [1, [2]], [1, [2]]))
    assert allowed and state == (1, (2,))
    assert hash(state) == hash((1, (2,)))
    assert m.step(state, call("read", None, [1, [2]]))[0] is True
    assert freeze({"b": 1, "a": [True]}) == freeze({"a": [True], "b": 1})
    assert freeze(True) != freeze(1)


@pytest.mark.parametrize("value", [3, [1], [1, 2, 3], None])
def test_register_cas_needs_a_pair(value: Any) -> None:
    with pytest.raises(ModelInputError, match=r"cas value must be a list \[old, new\]"):
        get_model("register").compile(call("cas", value, value))


def test_register_unknown_f() -> None:
    with pytest.raises(ModelInputError, match="model 'register' has no operation 'append'") as e:
        get_model("register").compile(call("append", 1, 1))
    assert e.value.position == 0


def test_register_descriptions() -> None:
    m = get_model("register")
    assert m.describe_call(call("read", None, None)) == "read → null"
    assert m.describe_call(call("write", "x", "x")) == 'write "x"'
    assert m.describe_call(call("cas", [1, 2], status="info")) == "cas 1 → 2 (info)"
    assert m.describe_state((1, "a")) == '[1, "a"]'


# --- kv ---------------------------------------------------------------------------------


def test_kv_steps() -> None:
    m = get_model("kv")
    assert m.init() == ""
    assert m.step("", call("append", "a", "a")) == (True, "a")
    assert m.step("a", call("append", "b", "b")) == (True, "ab")
    assert m.step("ab", call("put", "z", "z")) == (True, "z")
    assert m.step("z", call("get", None, "z")) == (True, "z")
    assert m.step("z", call("get", None, "y")) == (False, "z")
    assert m.step("", call("get", None, None)) == (True, "")


@pytest.mark.parametrize(
    ("f", "value", "out", "reason"),
    [
        ("put", 1, 1, "put value must be a string, got 1"),
        ("append", None, None, "append value must be a string, got null"),
        ("get", None, 5, "get's completion value must be a string, got 5"),
    ],
)
def test_kv_rejects_non_strings(f: str, value: Any, out: Any, reason: str) -> None:
    with pytest.raises(ModelInputError, match=reason):
        get_model("kv").compile(call(f, value, out))


# --- log --------------------------------------------------------------------------------


def test_log_nodes_are_interned() -> None:
    root = LogNode(None, None)
    a = root.append("m0", 0).append("m1", 1)
    b = root.append("m0", 0).append("m1", 1)
    assert a is b
    assert a.length == 2 and a.messages() == ["m0", "m1"]
    c = root.append("m0", 0).append("m2", 1)
    assert c is not a and c.parent is a.parent
    assert root.append("m0", 0).append("m2", 1) is c
    assert root.append("m0", 0).append("m1", 3) is not a  # a hole: another log
    floating = root.append("m0", None)
    assert floating.offset is None and floating.floor == 0


def test_log_send_lands_at_its_offset_above_the_log() -> None:
    m = get_model("log")
    root = m.init()
    allowed, one = m.step(root, call("send", "m0", "m0", ack_offset=0))
    assert allowed and one.records() == [(0, "m0")]
    allowed, holed = m.step(root, call("send", "m0", "m0", ack_offset=4))
    assert allowed and holed.records() == [(4, "m0")]  # holes: transaction markers, say
    assert m.step(one, call("send", "m1", "m1", ack_offset=0))[0] is False
    allowed, two = m.step(one, call("send", "m1", status="info"))
    assert allowed and two.records() == [(0, "m0"), (None, "m1")] and two.floor == 1
    assert m.step(two, call("send", "m2", "m2", ack_offset=1))[0] is False
    assert m.step(two, call("send", "m2", "m2", ack_offset=2))[0] is True


def test_log_poll_is_a_contiguous_run_from_the_first_record_at_its_start() -> None:
    m = get_model("log")
    log = m.init().append("m0", 0).append("m1", 1).append("m2", 3)
    poll = lambda records, start: m.step(log, call("poll", None, records, offset=start))[0]  # noqa: E731
    assert poll([[1, "m1"], [3, "m2"]], 1) is True
    assert poll([[1, "m1"]], 1) is True  # stops short: fetch limits
    assert poll([[3, "m2"]], 2) is True  # 2 is a hole: 3 is the first record at or after 2
    assert poll([[3, "m2"]], 1) is False  # skipped the record at 1
    assert poll([[0, "m0"], [3, "m2"]], 0) is False  # not contiguous
    assert poll([[1, "mX"]], 1) is False
    assert poll([], 4) is True
    assert poll([], 3) is False  # a record exists at or after 3
    assert poll([[1, "m1"], [0, "m0"]], 0) is False
    assert poll([[5, "m9"]], 4) is False  # not (yet) in the log
    unknown = call("poll", None, [[3, "m2"]], offset=None)
    unknown.completion["unknown_start"] = True
    assert m.step(log, unknown)[0] is True  # a Jepsen poll from an unknown position


def test_log_poll_reads_floating_info_records_leniently() -> None:
    m = get_model("log")
    log = m.init().append("m0", 0).append("m1", None)  # m1: an info send, offset unknown
    poll = lambda records, start: m.step(log, call("poll", None, records, offset=start))[0]  # noqa: E731
    assert poll([[0, "m0"], [1, "m1"]], 0) is True
    assert poll([[0, "m0"], [5, "m1"]], 0) is True  # it may sit after a hole
    assert poll([[0, "m0"]], 0) is True


def test_log_info_poll_is_dropped() -> None:
    assert get_model("log").compile(call("poll", status="info", offset=0)) is None


@pytest.mark.parametrize(
    ("op", "reason"),
    [
        (call("send", "m0", "m0"), "send's ok completion must carry a non-negative integer"),
        (call("send", None, None), "send needs the message as its value"),
        (call("poll", None, []), "poll's invocation must carry a non-negative integer offset"),
        (call("poll", None, 3, offset=0), r"poll's ok value must be a list of \[offset, message\]"),
        (call("poll", None, [[0]], offset=0), r"poll record 0 must be \[offset, message\]"),
        (call("poll", None, [["a", "m"]], offset=0), "poll record 0 must carry"),
        (call("poll", None, [], offset=0, max_records=0), "max_records must be a positive"),
    ],
)
def test_log_rejects_malformed_ops(op: Call, reason: str) -> None:
    with pytest.raises(ModelInputError, match=reason):
        get_model("log").compile(op)


def test_log_descriptions() -> None:
    m = get_model("log")
    assert m.describe_call(call("send", "m0", "m0", ack_offset=4)) == 'send "m0" → offset 4'
    poll = call("poll", None, [[0, "a"], [1, "b"]], offset=0)
    assert m.describe_call(poll) == 'poll from 0 → [0:"a", 1:"b"]'
    log = m.init()
    for i in range(10):
        log = log.append(f"m{i}", i)
    assert m.describe_state(log) == (
        '10 records […, 2:"m2", 3:"m3", 4:"m4", 5:"m5", 6:"m6", 7:"m7", 8:"m8", 9:"m9"]'
    )
    assert m.describe_state(m.init().append("x", None)) == '1 records [?:"x"]'


def test_reject_is_a_singleton() -> None:
    assert type(REJECT)() is REJECT
    assert repr(REJECT) == "REJECT"


def test_a_user_model_written_with_step_only() -> None:
    class Counter(Model):
        name = "counter"

        def init(self) -> int:
            return 0

        def step(self, state: Any, op: Call) -> tuple[bool, Any]:
            if op.f == "inc":
                return True, state + 1
            return op.value == state, state

    m = Counter()
    fn = m.compile(call("read", None, 0))
    assert fn is not None and fn(0) == 0 and fn(1) is REJECT


def test_register_unobservable_info_writes() -> None:
    m = get_model("register")
    calls = [
        call("write", 5, status="info"),  # 0: nobody reads 5 -> droppable
        call("write", 6, status="info"),  # 1: read below sees 6 -> kept
        call("read", None, 6),  # 2
        call("cas", [1, 9], status="info"),  # 3: nobody observes 9 -> droppable
        call("write", 7, status="info"),  # 4: the cas below expects 7 -> kept
        call("cas", [7, 8], status="info"),  # 5: 8 unobserved -> droppable
        call("write", 5, 5),  # 6: ok ops are never dropped
    ]
    assert m.unobservable(calls) == {0, 3, 5}


def test_kv_unobservable_info_puts_and_appends() -> None:
    m = get_model("kv")
    calls = [
        call("put", "ab", status="info"),  # 0: a get starts with "ab" -> kept
        call("put", "b", status="info"),  # 1: no get starts with "b" -> droppable
        call("append", "c", status="info"),  # 2: a get contains "c" -> kept
        call("append", "zz", status="info"),  # 3: no get contains "zz" -> droppable
        call("append", "x\0", status="info"),  # 4: NUL: never dropped
        call("get", None, "abc"),  # 5
        call("get", None, None),  # 6
    ]
    assert m.unobservable(calls) == {1, 3}


def positioned(c: Call, call_pos: int, return_pos: int | None) -> Call:
    c.call_pos, c.return_pos = call_pos, return_pos
    return c


def test_log_drops_only_the_info_sends_no_poll_read() -> None:
    m = get_model("log")
    calls = [
        positioned(call("send", "a", status="info"), 0, None),  # 0: read below -> kept
        positioned(call("send", "b", status="info"), 1, None),  # 1: never read -> dropped
        positioned(call("send", "c", "c", ack_offset=0), 2, 3),  # 2
        positioned(call("poll", None, [[0, "c"], [3, "a"]], offset=0), 4, 5),  # 3
    ]
    assert m.unobservable(calls) == {1}


def test_log_ignores_other_operations() -> None:
    # as the log-anomaly checker does: a history may carry other client operations
    assert get_model("log").compile(call("commit", 1, 1)) is None


def test_log_max_records_is_accepted_and_no_longer_needed() -> None:
    from replicheck.model import LogModel

    log = LogModel().init().append("m0", 0).append("m1", 1)
    poll = call("poll", None, [[0, "m0"]], offset=0)
    assert LogModel().step(log, poll)[0] is True
    assert LogModel(max_records=1).step(log, poll)[0] is True
