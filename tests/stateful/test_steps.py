"""Step wording and (de)serialisation: the printed scenario is the user interface."""

import pytest

from replicheck.stateful.scenario import STEP_KINDS, Step, describe_step, format_groups


@pytest.mark.parametrize(
    ("step", "text"),
    [
        (
            Step("send", {"process": 1, "partition": 0, "message": "m3", "wait": True}),
            "client 1 sends m3 to orders-0",
        ),
        (
            Step("send", {"process": 2, "partition": 1, "message": "m4", "wait": False}),
            "client 2 starts sending m4 to orders-1 (does not wait)",
        ),
        (
            Step("poll", {"process": 0, "partition": 0, "offset": 2}),
            "client 0 polls orders-0 from offset 2",
        ),
        (Step("tick", {"ms": 200}), "time passes 200 ms"),
        (Step("crash", {"broker": 2}), "broker 2 crashes (process killed; page cache survives)"),
        (Step("power-loss", {"broker": 3}), "broker 3 loses power (unflushed writes are gone)"),
        (Step("replace-disk", {"broker": 2}),
         "broker 2 stops and its disk is replaced (empty logs)"),
        (Step("restart", {"broker": 3}), "broker 3 restarts"),
        (
            Step("partition", {"groups": [["c0", "b1"], ["controller", "b3", "b2"]]}),
            "network splits {b1, c0} | {b2, b3, controller}",
        ),
        (
            Step(
                "partition",
                {"groups": [["b2"], ["b1", "b3"]], "note": "isolates broker 2, leader of orders-0"},
            ),
            "network splits {b2} | {b1, b3} (isolates broker 2, leader of orders-0)",
        ),
        (Step("heal", {}), "network heals"),
        (
            Step("message-faults", {"loss": 0.2, "delay_lo_ms": 1, "delay_hi_ms": 11}),
            "network drops 20% of messages; delay 1–11 ms",
        ),
        (
            Step("message-faults", {"loss": 0.0, "delay_lo_ms": 1, "delay_hi_ms": 1}),
            "network stops dropping messages; delay 1 ms",
        ),
        (Step("controller-failover", {}), "controller fails over (a new controller takes over)"),
        (Step("elect-preferred", {}), "preferred-leader election runs"),
    ],
)
def test_every_step_kind_reads_like_an_incident(step: Step, text: str) -> None:
    assert step.describe() == text
    assert describe_step(step, "orders") == text


def test_all_kinds_are_covered_by_the_wording_table() -> None:
    assert set(STEP_KINDS) == {
        "send", "poll", "tick", "crash", "power-loss", "replace-disk", "restart", "partition", "heal",
        "message-faults", "controller-failover", "elect-preferred", "slow-link",
    }  # fmt: skip


def test_topic_is_taken_from_the_caller() -> None:
    step = Step("send", {"process": 0, "partition": 2, "message": "m1"})
    assert step.describe("payments") == "client 0 sends m1 to payments-2"


def test_round_trip_through_dicts() -> None:
    step = Step("partition", {"groups": [["b1"], ["b2", "b3"]], "note": "x"})
    data = step.to_dict()
    assert data == {"kind": "partition", "args": {"groups": [["b1"], ["b2", "b3"]], "note": "x"}}
    assert Step.from_dict(data) == step
    assert Step.from_dict({"kind": "heal"}) == Step("heal", {})


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(AssertionError, match="unknown step kind"):
        Step("reboot-datacenter", {})


def test_groups_are_listed_brokers_then_clients_then_controller() -> None:
    assert format_groups([["controller", "c1", "b10", "b2"]]) == "{b2, b10, c1, controller}"
