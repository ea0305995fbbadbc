"""The micro-op feed (the fast path of the Jepsen-shape checker) against the reference
path: `check_log` over the dicts `JepsenKafka.translate` yields. Same verdict, evidence
and stats on correct histories, on every injected fault, on mutated histories, and the
same failing op when the input is bad."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.checker.log_check import check_jepsen_log
from replicheck.checker.log_input import LogInputError
from replicheck.testing.jepsen_gen import (
    JEPSEN_INJECTORS,
    JepsenGenConfig,
    generate_jepsen,
    jepsen_configs,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

configs = jepsen_configs(10, assign_ratios=(0.0, 0.05))


def both(history: list[dict]) -> tuple[Any, Any]:
    """(fast, reference) outcomes: the verdict's JSON and views, or the error's place."""
    outcomes = []
    for reference in (False, True):
        try:
            verdict = check_jepsen_log(copy.deepcopy(history), reference=reference)
        except LogInputError as exc:
            outcomes.append(("error", exc.position))
        else:
            views = {
                k: (v.offset_ranges, v.highlights, v.acked_offsets)
                for k, v in verdict.partitions.items()
            }
            outcomes.append((verdict.to_json(), views))
    return outcomes[0], outcomes[1]


@SETTINGS
@given(configs, st.integers(0, 2**16), st.sampled_from(["none", *sorted(JEPSEN_INJECTORS)]))
def test_feed_agrees_with_the_dict_path(config: JepsenGenConfig, seed: int, fault: str) -> None:
    history = generate_jepsen(config, seed)
    if fault != "none":
        history = JEPSEN_INJECTORS[fault][0](history, random.Random(seed)) or history
    fast, reference = both(history)
    assert fast == reference


def _records(op: dict) -> list[list]:
    """Every polled record list of a completed op (mutable, in place)."""
    found = []
    for mop in op.get("value") or ():
        if type(mop) is list and len(mop) == 2 and mop[0] == "poll" and type(mop[1]) is dict:
            found.extend(r for r in mop[1].values() if type(r) is list)
    return found


MUTATIONS = (
    "swap-message",
    "shift-offset",
    "drop-record",
    "duplicate-record",
    "bad-record",
    "send-offset",
    "reverse",
    "index",
)


def mutate(history: list[dict], rng: random.Random, how: str) -> list[dict]:
    history = copy.deepcopy(history)
    completions = [op for op in history if op["type"] != "invoke"]
    rng.shuffle(completions)
    for op in completions[:3]:
        records = [r for r in _records(op) if r]
        if how == "index":
            op["index"] = rng.choice([0, 5, op.get("index", 0) + 1000])
        elif how == "send-offset" and op["f"] in ("send", "txn"):
            for mop in op["value"]:
                if mop[0] == "send" and type(mop[2]) is list:
                    mop[2][0] = rng.choice([0, 1, mop[2][0] + 1, None])
        elif records:
            chosen = rng.choice(records)
            at = rng.randrange(len(chosen))
            if how == "swap-message":
                chosen[at] = [chosen[at][0], rng.choice([0, 1, 9999, chosen[0][1]])]
            elif how == "shift-offset":
                chosen[at] = [chosen[at][0] + rng.choice([-1, 1, 3]), chosen[at][1]]
            elif how == "drop-record":
                del chosen[at]
            elif how == "duplicate-record":
                chosen.insert(at, list(chosen[at]))
            elif how == "bad-record":
                chosen[at] = rng.choice(
                    [[chosen[at][0]], "x", [-1, 2], [True, 2], (0, 1), [0, [1]]]
                )
            elif how == "reverse":
                chosen.reverse()
    return history


@SETTINGS
@given(configs, st.integers(0, 2**16), st.sampled_from(MUTATIONS))
def test_feed_agrees_on_mutated_histories(config: JepsenGenConfig, seed: int, how: str) -> None:
    history = mutate(generate_jepsen(config, seed), random.Random(seed), how)
    fast, reference = both(history)
    if fast[0] == "error" or reference[0] == "error":
        # bad input: both reject it, at the same Jepsen op
        assert fast == reference
    else:
        assert fast == reference


@pytest.mark.parametrize("base", [0, 7])
def test_evidence_names_ops_by_their_index_whatever_the_base(base: int) -> None:
    history = generate_jepsen(JepsenGenConfig(ops=60, processes=3, keys=2), 4)
    history = JEPSEN_INJECTORS["poll-skip"][0](history, random.Random(1)) or history
    for position, op in enumerate(history):
        op["index"] = position + base
    fast, reference = both(history)
    assert fast == reference
    assert fast[0]["anomalies"]


def test_two_spellings_of_one_key_in_a_poll_are_one_read() -> None:
    history = [
        {"type": "invoke", "f": "send", "process": 0, "value": [["send", 1, 10]]},
        {"type": "ok", "f": "send", "process": 0, "value": [["send", 1, [0, 10]]]},
        {"type": "invoke", "f": "send", "process": 0, "value": [["send", 1, 11]]},
        {"type": "ok", "f": "send", "process": 0, "value": [["send", 1, [1, 11]]]},
        {"type": "invoke", "f": "poll", "process": 1, "value": [["poll"]]},
        {
            "type": "ok",
            "f": "poll",
            "process": 1,
            "value": [["poll", {1: [[0, 10]], "1": [[1, 11]]}]],
        },
        {"type": "invoke", "f": "poll", "process": 1, "value": [["poll"]]},
        {"type": "ok", "f": "poll", "process": 1, "value": [["poll", {"1": [[3, 12]], 2: []}]]},
    ]
    fast, reference = both(history)
    assert fast == reference
    assert fast[0]["stats"]["polls"]["ok"] == 3
