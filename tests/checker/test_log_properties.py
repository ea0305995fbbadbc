"""Property tests: correct concurrent histories are never flagged; each injected fault is
flagged as exactly its anomaly kinds (log_gen.INJECTORS says which)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from replicheck.checker.log_anomalies import check_log
from replicheck.testing.log_gen import INJECTORS, GenConfig, generate_history, iter_history

configs = st.builds(
    GenConfig,
    ops=st.integers(0, 150),
    processes=st.integers(1, 5),
    partitions=st.integers(1, 3),
    send_ratio=st.floats(0.2, 0.8),
    fail_ratio=st.floats(0.0, 0.3),
    info_ratio=st.floats(0.0, 0.3),
    info_written_ratio=st.floats(0.0, 1.0),
    max_poll_records=st.integers(1, 6),
    seek_ratio=st.floats(0.0, 0.5),
    final_reads=st.booleans(),
    final_chunk_records=st.integers(0, 4),
)

# injection needs something to inject into: enough operations, final reads, info sends
injectable = st.builds(
    GenConfig,
    ops=st.integers(60, 200),
    processes=st.integers(2, 5),
    partitions=st.integers(1, 2),
    info_ratio=st.floats(0.1, 0.3),
    max_poll_records=st.integers(2, 6),
    seek_ratio=st.floats(0.0, 0.3),
    final_chunk_records=st.sampled_from([0, 0, 3, 7]),
)


@settings(max_examples=150, deadline=None)
@given(config=configs, seed=st.integers(0, 2**32 - 1))
def test_correct_histories_are_never_flagged(config, seed):
    verdict = check_log(generate_history(config, seed))
    assert verdict.valid, verdict.render_text()
    assert verdict.stats["anomaly_counts"] == {}


@settings(max_examples=40, deadline=None)
@given(config=configs, seed=st.integers(0, 2**32 - 1))
def test_streaming_and_list_input_agree(config, seed):
    from_list = check_log(generate_history(config, seed)).to_json()
    assert check_log(iter_history(config, seed)).to_json() == from_list


@pytest.mark.parametrize("fault", sorted(INJECTORS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(config=injectable, seed=st.integers(0, 2**32 - 1), inject_seed=st.integers(0, 1000))
def test_injected_fault_is_flagged_as_exactly_its_anomaly(fault, config, seed, inject_seed):
    inject, expected = INJECTORS[fault]
    history = generate_history(config, seed)
    faulty = inject(history, random.Random(inject_seed))
    assume(faulty is not None)
    verdict = check_log(faulty)
    assert set(verdict.anomalies) == expected, verdict.render_text()
    # the original is untouched (injectors copy) and still clean
    assert check_log(history).valid
