"""Hand-written histories that are famously easy to get wrong, with their exact verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from replicheck.checker.linearizability import check_history
from replicheck.model import get_model


def inv(p: int, f: str, value: Any = None, **extra: Any) -> dict:
    return {"process": p, "type": "invoke", "f": f, "value": value, **extra}


def ok(p: int, f: str, value: Any = None, **extra: Any) -> dict:
    return {"process": p, "type": "ok", "f": f, "value": value, **extra}


def info(p: int, f: str, value: Any = None, **extra: Any) -> dict:
    return {"process": p, "type": "info", "f": f, "value": value, **extra}


def fail(p: int, f: str, value: Any = None, **extra: Any) -> dict:
    return {"process": p, "type": "fail", "f": f, "value": value, **extra}


def check(model: str, history: list[dict], **kw: Any) -> Any:
    for i, op in enumerate(history):
        op["index"] = i
    return check_history(get_model(model), history, **kw)


# --- register -------------------------------------------------------------------------


def test_empty_history_is_linearizable() -> None:
    verdict = check("register", [])
    assert verdict.valid is True
    assert verdict.partitions == []


def test_concurrent_writes_either_order_for_a_read_in_between() -> None:
    # w1 and w2 overlap; a read after both sees 1, so w2 took effect first.
    history = [
        inv(0, "write", 1),
        inv(1, "write", 2),
        ok(0, "write", 1),
        ok(1, "write", 2),
        inv(2, "read"),
        ok(2, "read", 1),
    ]
    verdict = check("register", history, linearization=True)
    assert verdict.valid is True
    [part] = verdict.partitions
    assert [part.calls[i].invoke_index for i in part.order] == [1, 0, 4]
    assert part.states == [2, 1, 1]


def test_reads_cannot_flip_back_after_concurrent_writes_complete() -> None:
    history = [
        inv(0, "write", 1),
        inv(1, "write", 2),
        ok(0, "write", 1),
        ok(1, "write", 2),
        inv(2, "read"),
        ok(2, "read", 1),
        inv(2, "read"),
        ok(2, "read", 2),
        inv(2, "read"),
        ok(2, "read", 1),
    ]
    verdict = check("register", history)
    assert verdict.valid is False
    [part] = verdict.failing()
    assert part.calls[part.blocking].invoke_index == 6  # the read of 2
    assert [part.calls[i].invoke_index for i in part.order] == [1, 0, 4]
    assert part.refused_states == [1]


def test_read_concurrent_with_write_may_see_either_value() -> None:
    history = [
        inv(0, "write", 1),
        inv(1, "read"),
        ok(1, "read", None),
        inv(1, "read"),
        ok(1, "read", 1),
        ok(0, "write", 1),
    ]
    assert check("register", history).valid is True


def test_stale_read_after_acknowledged_write() -> None:
    history = [
        inv(0, "write", 1),
        ok(0, "write", 1),
        inv(0, "write", 2),
        ok(0, "write", 2),
        inv(1, "read"),
        ok(1, "read", 1),
    ]
    verdict = check("register", history)
    assert verdict.valid is False
    [part] = verdict.failing()
    assert part.refused_states == [2]
    assert part.calls[part.blocking].invoke_index == 4


def test_info_write_takes_effect_late() -> None:
    # The write's reply was lost; it becomes visible long after, between two reads.
    history = [
        inv(0, "write", 1),
        info(0, "write", 1),
        inv(1, "read"),
        ok(1, "read", None),
        inv(1, "read"),
        ok(1, "read", None),
        inv(1, "read"),
        ok(1, "read", 1),
    ]
    assert check("register", history).valid is True


def test_info_write_cannot_take_effect_twice() -> None:
    history = [
        inv(0, "write", 1),
        info(0, "write", 1),
        inv(1, "write", 2),
        ok(1, "write", 2),
        inv(1, "read"),
        ok(1, "read", 1),
        inv(1, "write", 2),
        ok(1, "write", 2),
        inv(1, "read"),
        ok(1, "read", 1),
    ]
    assert check("register", history).valid is False


def test_info_write_may_never_take_effect() -> None:
    history = [
        inv(0, "write", 1),
        info(0, "write", 1),
        inv(1, "read"),
        ok(1, "read", None),
    ]
    assert check("register", history).valid is True


def test_invocation_without_completion_is_like_info() -> None:
    history = [inv(0, "write", 7), inv(1, "read"), ok(1, "read", 7)]
    assert check("register", history).valid is True
    history = [inv(0, "write", 7), inv(1, "read"), ok(1, "read", 8)]
    assert check("register", history).valid is False


def test_failed_write_did_not_happen() -> None:
    history = [
        inv(0, "write", 1),
        fail(0, "write", 1),
        inv(1, "read"),
        ok(1, "read", 1),
    ]
    assert check("register", history).valid is False


def test_cas_chain_must_run_in_order() -> None:
    # Three overlapping cas ops all succeeded: only null→1→2→3 explains them.
    history = [
        inv(0, "cas", [2, 3]),
        inv(1, "cas", [1, 2]),
        inv(2, "cas", [None, 1]),
        ok(0, "cas", [2, 3]),
        ok(1, "cas", [1, 2]),
        ok(2, "cas", [None, 1]),
        inv(0, "read"),
        ok(0, "read", 3),
    ]
    verdict = check("register", history, linearization=True)
    assert verdict.valid is True
    [part] = verdict.partitions
    assert [part.calls[i].invoke_index for i in part.order] == [2, 1, 0, 6]


def test_two_cas_from_the_same_value_cannot_both_swap() -> None:
    history = [
        inv(0, "write", 1),
        ok(0, "write", 1),
        inv(1, "cas", [1, 2]),
        inv(2, "cas", [1, 3]),
        ok(1, "cas", [1, 2]),
        ok(2, "cas", [1, 3]),
    ]
    assert check("register", history).valid is False


def test_info_cas_is_omitted_when_it_did_not_swap() -> None:
    history = [
        inv(0, "cas", [5, 6]),
        info(0, "cas", [5, 6]),
        inv(1, "read"),
        ok(1, "read", None),
    ]
    assert check("register", history).valid is True


def test_failed_cas_is_dropped() -> None:
    history = [
        inv(0, "write", 1),
        ok(0, "write", 1),
        inv(1, "cas", [1, 2]),
        fail(1, "cas", [1, 2]),
        inv(1, "read"),
        ok(1, "read", 1),
    ]
    assert check("register", history).valid is True


def test_keys_are_independent_registers() -> None:
    history = [
        inv(0, "write", 1, key="a"),
        ok(0, "write", 1, key="a"),
        inv(1, "read", key="b"),
        ok(1, "read", None, key="b"),
        inv(1, "read", key="a"),
        ok(1, "read", 1, key="a"),
    ]
    verdict = check("register", history)
    assert verdict.valid is True
    assert sorted(p.label for p in verdict.partitions) == ["a", "b"]


def test_json_booleans_are_not_integers() -> None:
    history = [inv(0, "write", 1), ok(0, "write", 1), inv(1, "read"), ok(1, "read", True)]
    assert check("register", history).valid is False


def test_list_values_compare_structurally() -> None:
    history = [
        inv(0, "write", [1, {"a": 2}]),
        ok(0, "write", [1, {"a": 2}]),
        inv(1, "read"),
        ok(1, "read", [1, {"a": 2}]),
    ]
    assert check("register", history).valid is True


# --- kv ---------------------------------------------------------------------------------


def test_porcupine_classic_get_before_concurrent_put() -> None:
    # put x=100 overlaps two gets; the second get (reading "") started before the first get
    # (reading "100") returned, so both can be ordered around the put.
    history = [
        inv(0, "put", "100", key="x"),
        inv(1, "get", key="x"),
        inv(2, "get", key="x"),
        ok(2, "get", "", key="x"),
        ok(1, "get", "100", key="x"),
        ok(0, "put", "100", key="x"),
    ]
    assert check("kv", history).valid is True


def test_porcupine_classic_get_after_newer_get_is_not_linearizable() -> None:
    history = [
        inv(0, "put", "100", key="x"),
        inv(1, "get", key="x"),
        ok(1, "get", "100", key="x"),
        inv(2, "get", key="x"),
        ok(2, "get", "", key="x"),
        ok(0, "put", "100", key="x"),
    ]
    verdict = check("kv", history)
    assert verdict.valid is False
    [part] = verdict.failing()
    assert part.label == "x"
    assert part.calls[part.blocking].invoke_index == 3


def test_appends_concatenate_in_linearization_order() -> None:
    history = [
        inv(0, "append", "a", key="k"),
        inv(1, "append", "b", key="k"),
        ok(0, "append", "a", key="k"),
        ok(1, "append", "b", key="k"),
        inv(2, "get", key="k"),
        ok(2, "get", "ba", key="k"),
    ]
    assert check("kv", history).valid is True
    history[-1]["value"] = "abb"
    assert check("kv", history).valid is False


def test_a_read_of_unordered_appends_is_a_choice_not_forced() -> None:
    """Appends a and b overlap, so "ab" and "ba" are both possible states. The get of "ab"
    (first in the list) fits, but the valid order is b, a, get "ba", put "ab", get "ab":
    placing the first get at once, without alternatives, would miss it."""
    history = [
        inv(0, "append", "a", key="k"),
        inv(1, "append", "b", key="k"),
        ok(0, "append", "a", key="k"),
        ok(1, "append", "b", key="k"),
        inv(4, "get", key="k"),
        inv(2, "get", key="k"),
        inv(3, "put", "ab", key="k"),
        ok(2, "get", "ba", key="k"),
        ok(3, "put", "ab", key="k"),
        ok(4, "get", "ab", key="k"),
    ]
    verdict = check("kv", history, linearization=True)
    assert verdict.valid is True
    assert verdict.partitions[0].states == ["b", "ba", "ba", "ab", "ab"]


def test_appends_ordered_in_real_time_keep_their_order() -> None:
    history = [
        inv(0, "append", "a", key="k"),
        ok(0, "append", "a", key="k"),
        inv(1, "append", "b", key="k"),
        ok(1, "append", "b", key="k"),
        inv(2, "get", key="k"),
        ok(2, "get", "ba", key="k"),
    ]
    verdict = check("kv", history)
    assert verdict.valid is False
    assert "refused in state \"ab\"" in verdict.render_text()


def test_kv_violation_is_reported_only_for_its_key() -> None:
    history = [
        inv(0, "put", "1", key="x"),
        ok(0, "put", "1", key="x"),
        inv(0, "put", "1", key="y"),
        ok(0, "put", "1", key="y"),
        inv(1, "get", key="x"),
        ok(1, "get", "", key="x"),
        inv(1, "get", key="y"),
        ok(1, "get", "1", key="y"),
    ]
    verdict = check("kv", history)
    assert verdict.valid is False
    assert [p.label for p in verdict.failing()] == ["x"]


# --- log --------------------------------------------------------------------------------


def test_concurrent_sends_take_the_offsets_they_were_acknowledged_at() -> None:
    history = [
        inv(0, "send", "m0", key="t-0"),
        inv(1, "send", "m1", key="t-0"),
        ok(1, "send", "m1", key="t-0", offset=0),
        ok(0, "send", "m0", key="t-0", offset=1),
        inv(2, "poll", key="t-0", offset=0),
        ok(2, "poll", [[0, "m1"], [1, "m0"]], key="t-0", offset=0),
    ]
    assert check("log", history).valid is True


def test_poll_missing_an_acknowledged_write_is_not_linearizable() -> None:
    history = [
        inv(0, "send", "m0", key="t-0"),
        ok(0, "send", "m0", key="t-0", offset=0),
        inv(1, "poll", key="t-0", offset=0),
        ok(1, "poll", [], key="t-0", offset=0),
    ]
    verdict = check("log", history)
    assert verdict.valid is False
    [part] = verdict.failing()
    model = get_model("log")
    assert [model.describe_state(s) for s in part.refused_states] == ['1 records [0:"m0"]']


def test_info_send_may_appear_later_or_never() -> None:
    history = [
        inv(0, "send", "m0", key="t-0"),
        info(0, "send", "m0", key="t-0"),
        inv(1, "poll", key="t-0", offset=0),
        ok(1, "poll", [], key="t-0", offset=0),
        inv(1, "poll", key="t-0", offset=0),
        ok(1, "poll", [[0, "m0"]], key="t-0", offset=0),
    ]
    assert check("log", history).valid is True
    assert check("log", history[:4]).valid is True


def test_two_messages_at_one_offset_is_not_linearizable() -> None:
    history = [
        inv(0, "send", "m0", key="t-0"),
        ok(0, "send", "m0", key="t-0", offset=0),
        inv(1, "send", "m1", key="t-0"),
        ok(1, "send", "m1", key="t-0", offset=0),
    ]
    assert check("log", history).valid is False


def test_poll_that_skips_an_offset_is_not_linearizable() -> None:
    history = [
        inv(0, "send", "m0", key="t-0"),
        ok(0, "send", "m0", key="t-0", offset=0),
        inv(0, "send", "m1", key="t-0"),
        ok(0, "send", "m1", key="t-0", offset=1),
        inv(1, "poll", key="t-0", offset=0),
        ok(1, "poll", [[0, "m0"], [2, "m1"]], key="t-0", offset=0),
    ]
    assert check("log", history).valid is False


def test_poll_may_stop_short_but_must_start_at_the_first_record() -> None:
    # Kafka's fetch limits cut polls short (not only max.poll.records): any contiguous run
    # from the first record at or after the start is a legal poll
    history = [
        inv(0, "send", "m0", key="t-0"),
        ok(0, "send", "m0", key="t-0", offset=0),
        inv(0, "send", "m1", key="t-0"),
        ok(0, "send", "m1", key="t-0", offset=1),
        inv(1, "poll", key="t-0", offset=0),
        ok(1, "poll", [[0, "m0"]], key="t-0", offset=0),
    ]
    assert check("log", history).valid is True
    history[5]["value"] = [[1, "m1"]]  # skipped the first record: stale or lost, not Kafka
    assert check("log", history).valid is False


def test_holes_where_no_write_was_acknowledged_are_legal() -> None:
    history = [
        inv(0, "send", "m0", key="t-0"),
        ok(0, "send", "m0", key="t-0", offset=0),
        inv(0, "send", "m1", key="t-0"),
        ok(0, "send", "m1", key="t-0", offset=3),  # 1 and 2: a transaction marker, say
        inv(0, "send", "m2", key="t-0"),
        info(0, "send", "m2", key="t-0"),  # landed after another hole
        inv(1, "poll", key="t-0", offset=0),
        ok(1, "poll", [[0, "m0"], [3, "m1"], [5, "m2"]], key="t-0", offset=0),
        inv(1, "poll", key="t-0", offset=1),
        ok(1, "poll", [[3, "m1"]], key="t-0", offset=1),
    ]
    assert check("log", history).valid is True
    history[9]["value"] = []  # a record exists at or after 1: an empty poll is stale
    assert check("log", history).valid is False


# --- timeouts ---------------------------------------------------------------------------


def hard_history(key: Any = None) -> list[dict]:
    """40 overlapping info writes, each read by an overlapping read, and an impossible read:
    every subset of the writes is a distinct configuration, far more than the search can
    visit in 50 ms (and the reads keep the writes from being dropped as unobservable)."""
    extra = {} if key is None else {"key": key}
    history = [inv(p, "write", p, **extra) for p in range(40)]
    history += [inv(100 + p, "read", **extra) for p in range(40)]
    history += [inv(99, "read", **extra), ok(99, "read", -1, **extra)]
    history += [ok(100 + p, "read", p, **extra) for p in range(40)]
    return history


def test_timeout_yields_unknown_not_a_verdict() -> None:
    verdict = check("register", hard_history(), timeout_s=0.05)
    assert verdict.valid is None
    assert verdict.to_json()["valid"] == "unknown"
    assert verdict.to_json()["unknown"] == ["(no key)"]


def test_violation_elsewhere_beats_unknown() -> None:
    hard = hard_history("hard")
    easy = [inv(1000, "read", key="easy"), ok(1000, "read", 5, key="easy")]
    verdict = check("register", easy + hard, timeout_s=0.05)
    assert verdict.valid is False
    assert [p.label for p in verdict.failing()] == ["easy"]
    assert verdict.to_json()["unknown"] == ["hard"]


@pytest.mark.parametrize("writers", [10, 16])
def test_many_info_writes_without_a_contradiction_are_quick_to_accept(writers: int) -> None:
    history = [inv(p, "write", p) for p in range(writers)]
    history += [inv(99, "read"), ok(99, "read", 3)]
    assert check("register", history).valid is True


def test_a_timeout_leaves_only_unfinished_partitions_unknown() -> None:
    """With a deadline the partitions take turns, so the easy ones after a hard one are
    still decided; only the one that ran out of time is unknown."""
    history = hard_history("hard")
    history += [inv(1000 + k, "read", key=f"later-{k}") for k in range(3)]
    history += [ok(1000 + k, "read", None, key=f"later-{k}") for k in range(3)]
    verdict = check("register", history, timeout_s=0.05)
    assert verdict.valid is None
    assert verdict.to_json()["unknown"] == ["hard"]
    assert [p.valid for p in verdict.partitions[1:]] == [True, True, True]


def test_first_failure_stops_the_other_partitions() -> None:
    """A cheap failing partition ends the check though a hard one comes first; the rest are
    reported as not searched, never as linearizable."""
    history = hard_history("hard")
    history += [inv(1000, "write", 1, key="bad"), ok(1000, "write", 1, key="bad")]
    history += [inv(1001, "read", key="bad"), ok(1001, "read", 2, key="bad")]
    verdict = check("register", history, first_failure=True)
    assert verdict.valid is False
    assert [p.label for p in verdict.failing()] == ["bad"]
    summary = verdict.to_json()
    assert summary["not_searched"] == ["hard"] and summary["unknown"] == []
    assert "1 partition(s) not searched" in verdict.render_text()
