"""Jepsen-shape histories from a correct Kafka-like model are never flagged (at the default
level and at the strict level), each injected fault is flagged as exactly its kinds, files
round-trip, and the cycle scan agrees with the whole-graph search."""

from __future__ import annotations

import itertools
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.checker.jepsen_kafka import OpFacts, jepsen_calls
from replicheck.checker.linearizability import calls_from_history, check_calls
from replicheck.checker.log_check import ALWAYS_ALLOWED, TRANSACTIONAL_ALLOWED, check_any_log
from replicheck.checker.log_cycles import cycles_general, cycles_simple
from replicheck.checker.log_file import check_log_file
from replicheck.model import LogModel
from replicheck.testing.jepsen_gen import (
    JEPSEN_INJECTORS,
    JepsenGenConfig,
    generate_jepsen,
    jepsen_configs,
    to_edn_line,
)
from replicheck.testing.log_gen import GenConfig, generate_history

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

configs = jepsen_configs(20)


@SETTINGS
@given(configs, st.integers(0, 2**16))
def test_correct_histories_are_never_flagged(config: JepsenGenConfig, seed: int) -> None:
    history = generate_jepsen(config, seed)
    verdict = check_any_log(history)
    assert verdict.valid, verdict.render_text()
    if config.txn:
        # interleaved writes of transactions (an info transaction's writes land later)
        assert set(verdict.anomalies) <= ALWAYS_ALLOWED | TRANSACTIONAL_ALLOWED
    else:
        assert verdict.anomalies == {}, verdict.render_text()
    assert verdict.stats["shape"] == "jepsen"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.builds(
        JepsenGenConfig,
        ops=st.integers(10, 40),
        processes=st.integers(1, 3),
        keys=st.integers(1, 2),
        txn=st.booleans(),
        subscribe=st.booleans(),
        info_ratio=st.sampled_from([0.0, 0.2]),
        hole_ratio=st.sampled_from([0.0, 0.3]),
    ),
    st.integers(0, 2**16),
)
def test_correct_histories_pass_the_strict_level(config: JepsenGenConfig, seed: int) -> None:
    history = generate_jepsen(config, seed)
    verdict = check_calls(LogModel(), jepsen_calls(history), timeout_s=30)
    assert verdict.valid is True, verdict.render_text()


@pytest.mark.parametrize("fault", sorted(JEPSEN_INJECTORS))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, seed=st.integers(0, 2**16), inject_seed=st.integers(0, 2**16))
def test_injected_fault_is_flagged_as_exactly_its_kinds(
    fault: str, config: JepsenGenConfig, seed: int, inject_seed: int
) -> None:
    inject, kinds = JEPSEN_INJECTORS[fault]
    history = generate_jepsen(config, seed)
    before = check_any_log(history)
    faulty = inject(history, random.Random(inject_seed))
    if faulty is None:
        return  # nothing to inject into (e.g. no poll continued a previous one)
    verdict = check_any_log(faulty)
    assert set(verdict.anomalies) == set(before.anomalies) | kinds, verdict.render_text()
    assert verdict.valid is (kinds <= verdict.allowed)


def _jsonl(op: dict) -> bytes:
    return orjson.dumps(op, option=orjson.OPT_NON_STR_KEYS)


@SETTINGS
@given(configs, st.integers(0, 2**16), st.sampled_from(sorted(JEPSEN_INJECTORS)))
def test_edn_and_json_files_give_the_in_memory_verdict(
    tmp_path_factory: pytest.TempPathFactory, config: JepsenGenConfig, seed: int, fault: str
) -> None:
    history = generate_jepsen(config, seed)
    history = JEPSEN_INJECTORS[fault][0](history, random.Random(seed)) or history
    expected = check_any_log(history).to_json()
    folder = tmp_path_factory.mktemp("h")
    edn_path, json_path = folder / "history.edn", folder / "history.jsonl"
    edn_path.write_text("".join(to_edn_line(op) + "\n" for op in history))
    json_path.write_bytes(b"".join(_jsonl(op) + b"\n" for op in history))
    for path in (edn_path, json_path):
        got = check_log_file(path).to_json()
        assert got == expected


# -- the cycle scan against the whole-graph search ---------------------------------------------


@st.composite
def cycle_facts(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    """Version orders, writers and first readers of a small non-transactional history with
    arbitrary (possibly contradictory) timing."""
    ops = draw(st.integers(2, 9))
    facts = []
    for i in range(ops):
        invoked = draw(st.integers(0, 30))
        completed = draw(st.one_of(st.integers(invoked + 1, 40), st.just(float("inf"))))
        facts.append(OpFacts(i, i, draw(st.integers(0, 2)), invoked, completed, "send"))
    readers = [
        OpFacts(100 + i, 100 + i, draw(st.integers(0, 2)), inv, inv + draw(st.integers(1, 10)), "poll")
        for i, inv in enumerate(draw(st.lists(st.integers(0, 40), max_size=4)))
    ]
    orders: dict = {}
    writers: dict = {}
    first_readers: dict = {}
    offsets = draw(st.permutations(range(ops)))
    for i, writer in enumerate(facts):
        key = str(draw(st.integers(0, 1)))
        orders.setdefault(key, {})[offsets[i]] = f"m{i}"
        writers.setdefault(key, {})[f"m{i}"] = writer
    for reader in readers:
        i = draw(st.integers(0, ops - 1))
        key = next(k for k, w in writers.items() if f"m{i}" in w)
        first_readers.setdefault(key, {}).setdefault(f"m{i}", reader)
    return orders, writers, first_readers


@settings(max_examples=300, deadline=None)
@given(cycle_facts())
def test_cycle_scan_agrees_with_the_whole_graph(facts: tuple[dict, dict, dict]) -> None:
    orders, writers, first_readers = facts
    simple = cycles_simple(orders, writers, first_readers)
    general = cycles_general(orders, writers, first_readers)
    assert bool(simple) == bool(general)
    family = {e["kind"].split("-")[0] for e in general}
    assert ("G0" in family) == any(e["kind"].startswith("G0") for e in simple)
    for evidence in simple:
        cycle = evidence["cycle"]
        assert cycle[-1]["to"] == cycle[0]["from"]
        for a, b in itertools.pairwise(cycle):
            assert a["to"] == b["from"]


# -- replicheck's own shape at the strict level ---------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.builds(
        GenConfig,
        ops=st.integers(5, 40),
        processes=st.integers(1, 4),
        partitions=st.integers(1, 2),
        info_ratio=st.sampled_from([0.0, 0.2]),
        max_poll_records=st.integers(1, 4),
        seek_ratio=st.sampled_from([0.0, 0.2]),
    ),
    st.integers(0, 2**16),
)
def test_correct_partial_polls_pass_the_strict_level(config: GenConfig, seed: int) -> None:
    # polls that stop short of the end carry no max_records here: the Kafka-faithful model
    # accepts them without it (the old model called them stale reads)
    history = generate_history(config, seed)
    for op in history:
        op.pop("max_records", None)
    assert check_any_log(history).valid
    verdict = check_calls(LogModel(), calls_from_history(history), timeout_s=30)
    assert verdict.valid is True, verdict.render_text()
