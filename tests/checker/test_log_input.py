"""Ops the log checker cannot interpret raise LogInputError with the op's position (the
check command turns it into file:line and exit 2), never a traceback from deep inside."""

from __future__ import annotations

import pytest

from replicheck.checker.log_anomalies import LogInputError, check_log, log_op_problem
from replicheck.model.base import ModelInputError

SEND = {"process": 0, "type": "invoke", "f": "send", "key": "k", "value": "a"}
POLL = {"process": 1, "type": "invoke", "f": "poll", "key": "k", "offset": 0}


def send_ok(**fields):
    return {"process": 0, "type": "ok", "f": "send", "key": "k", "value": "a", **fields}


def poll_ok(value):
    return {"process": 1, "type": "ok", "f": "poll", "key": "k", "offset": 0, "value": value}


@pytest.mark.parametrize(
    ("ops", "position", "reason"),
    [
        (
            [SEND, send_ok()],
            1,
            "an ok send needs 'offset', the non-negative integer it was acknowledged at",
        ),
        (
            [SEND, send_ok(offset="3")],
            1,
            "an ok send needs 'offset', the non-negative integer it was acknowledged at",
        ),
        (
            [SEND, send_ok(offset=-1)],
            1,
            "an ok send needs 'offset', the non-negative integer it was acknowledged at",
        ),
        (
            [SEND, send_ok(offset=0, value=["a"])],
            1,
            "send's 'value' (the message) must be a string or an integer, got ['a']",
        ),
        (
            [dict(SEND, key=["k"]), send_ok(offset=0, key=["k"])],
            1,
            "'key' must be a string or an integer, got ['k']",
        ),
        (
            [POLL, poll_ok({"0": "a"})],
            1,
            "an ok poll's 'value' must be a list of [offset, message] pairs",
        ),
        ([POLL, poll_ok([[0]])], 1, "poll record 0 must be [offset, message], got [0]"),
        ([POLL, poll_ok([[0, "a"], 5])], 1, "poll record 1 must be [offset, message], got 5"),
        (
            [POLL, poll_ok([["0", "a"]])],
            1,
            "poll record 0: offset must be a non-negative integer",
        ),
        (
            [POLL, poll_ok([[0, "a"], [1, {"m": 1}]])],
            1,
            "poll record 1: message must be a string or an integer",
        ),
        (
            [dict(POLL, offset=None), dict(poll_ok([]), offset=None)],
            1,
            "poll needs 'offset', the non-negative integer start offset, on its invocation",
        ),
        ([SEND, 42], 1, "expected an operation object, got int"),
    ],
)
def test_bad_ops_name_position_and_reason(ops, position, reason):
    with pytest.raises(LogInputError) as caught:
        check_log(ops)
    assert caught.value.position == position
    assert caught.value.reason == reason
    assert isinstance(caught.value, ModelInputError)


def test_bad_record_found_in_the_slow_path_still_has_its_position():
    ops = [SEND, send_ok(offset=0), POLL, poll_ok([[0, "a"], [1, 2.5]])]
    with pytest.raises(LogInputError) as caught:
        check_log(ops)
    assert (caught.value.position, caught.value.reason) == (
        3,
        "poll record 1: message must be a string or an integer",
    )


def test_other_functions_and_named_processes_pass_through():
    ops = [
        {"process": "nemesis", "type": "info", "f": "start-partition", "value": None},
        {"process": "nemesis", "type": "info", "f": "start-partition", "value": ["b1"]},
        {"process": 2, "type": "invoke", "f": "read", "key": "x"},
        {"process": 2, "type": "ok", "f": "read", "key": "x", "value": 3},
    ]
    verdict = check_log(ops)
    assert verdict.valid
    assert verdict.stats["other_ops"] == 3  # completions of functions other than send/poll


def test_log_op_problem_accepts_good_ops():
    assert log_op_problem(SEND) is None
    assert log_op_problem(send_ok(offset=0)) is None
    assert log_op_problem(POLL) is None
    assert log_op_problem(poll_ok([[0, "a"], [1, 7]])) is None
    assert log_op_problem({"process": 1, "type": "ok", "f": "poll", "value": []}, POLL) is None
