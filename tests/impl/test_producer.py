"""The producer as Kafka ships it (KIP-98), one rule per test: retries, InitProducerId,
(producer id, epoch, sequence) per batch, the leader's dedup window, out-of-order
rejection, producer state rebuilt from the log on leader change, and the at-least-once
duplicates of retries without idempotence."""

from __future__ import annotations

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl import producer_state as ps
from replicheck.impl.config import at_least_once_producer, idempotent_producer
from replicheck.impl.zoo import get_flaw

from .test_protocol import replica, send, wait

IDEMPOTENT = idempotent_producer(ClusterConfig())
AT_LEAST_ONCE = at_least_once_producer(ClusterConfig())


def ops_of(cluster: Cluster, process: int) -> list[dict]:
    return [op for op in cluster.history if op["process"] == process]


def lose_the_answer_then_fail_over(config: ClusterConfig) -> Cluster:
    """m1 reaches every replica, its answer is lost, the leader dies, the client's attempt
    times out and it retries against the new leader (broker 2)."""
    cluster = Cluster(config, seed=1)
    assert send(cluster, 0, "m0")["offset"] == 0  # metadata (and producer id) cached
    cluster.send(0, 0, "m1")
    cluster.tick(1)  # the produce request reaches the leader
    cluster.partition([["b1"], ["c0"]])  # its answer will not reach the client
    cluster.tick(20)  # followers copy m1
    cluster.crash(1)
    return cluster


def test_config_checks_follow_kafkas_producer_config() -> None:
    with pytest.raises(ValueError, match="requires acks=all"):
        ClusterConfig(enable_idempotence=True, retries=1, acks="1")
    with pytest.raises(ValueError, match="requires retries >= 1"):
        ClusterConfig(enable_idempotence=True)
    with pytest.raises(ValueError, match="max_in_flight_requests_per_connection <= 5"):
        ClusterConfig(enable_idempotence=True, retries=1, max_in_flight_requests_per_connection=6)
    with pytest.raises(ValueError, match="delivery_timeout_ms must be >= request_timeout_ms"):
        ClusterConfig(retries=1, delivery_timeout_ms=100)
    assert not ClusterConfig().at_least_once and AT_LEAST_ONCE.at_least_once
    assert not IDEMPOTENT.at_least_once


def test_init_producer_id_hands_out_fresh_ids_and_batches_carry_them() -> None:
    cluster = Cluster(IDEMPOTENT, seed=1)
    assert send(cluster, 0, "a")["type"] == "ok"
    assert send(cluster, 1, "b")["type"] == "ok"
    assert send(cluster, 0, "c")["type"] == "ok"
    # (leader epoch, message, (producer id, producer epoch, sequence)) on every replica
    expected = [(0, "a", (0, 0, 0)), (0, "b", (1, 0, 0)), (0, "c", (0, 0, 1))]
    assert cluster.replica_logs(0) == {1: expected, 2: expected, 3: expected}
    assert cluster.store.next_producer_id == 2


def test_the_leader_answers_a_retried_batch_with_the_original_offset() -> None:
    state = ps.ProducerState()
    assert state.check(7, 0, 0) == (ps.APPEND, -1)
    state.record(7, 0, 0, 4)
    assert state.check(7, 0, 0) == (ps.DUPLICATE, 4)
    assert state.check(7, 0, 1) == (ps.APPEND, -1)


def test_the_dedup_window_keeps_the_last_five_batches() -> None:
    state = ps.ProducerState()
    for seq in range(7):
        state.record(3, 0, seq, 10 + seq)
    assert [s for s, _ in state.producers[3].batches] == [2, 3, 4, 5, 6]
    assert state.check(3, 0, 6) == (ps.DUPLICATE, 16)
    assert state.check(3, 0, 1) == (ps.OUT_OF_ORDER, -1)  # fell out of the window


def test_out_of_order_sequences_and_old_epochs_are_rejected() -> None:
    state = ps.ProducerState()
    state.record(3, 1, 0, 0)
    assert state.check(3, 1, 2) == (ps.OUT_OF_ORDER, -1)  # a gap
    assert state.check(3, 0, 1) == (ps.FENCED, -1)
    assert state.check(3, 2, 0) == (ps.APPEND, -1)  # a new epoch starts at sequence 0
    assert state.check(3, 2, 5) == (ps.OUT_OF_ORDER, -1)
    assert state.check(9, 0, 4) == (ps.UNKNOWN_PRODUCER, -1)


def test_an_out_of_order_produce_is_rejected_before_append() -> None:
    from replicheck.impl import messages as m

    cluster = Cluster(IDEMPOTENT, seed=1)
    send(cluster, 0, "a")
    leader = cluster.brokers[1]
    assert leader is not None
    out = leader.step(m.Produce("c0", "b1", 0, 0, "z", "all", 99, (0, 0, 5)), cluster.now_ms)
    assert [(r.error, r.appended) for r in out] == [(m.OUT_OF_ORDER_SEQUENCE_NUMBER, False)]
    assert replica(cluster, 1).log.leo == 1


def test_producer_state_is_rebuilt_from_the_log() -> None:
    entries = [(0, "a", (1, 0, 0)), (0, "x"), (1, "b", (1, 0, 1)), (1, "c", (2, 0, 0))]
    state = ps.ProducerState.from_log(entries)
    assert state.producers[1].batches == [(0, 0), (1, 2)]
    assert state.producers[2].batches == [(0, 3)]


def test_retries_are_one_history_operation_and_idempotence_writes_once() -> None:
    cluster = lose_the_answer_then_fail_over(IDEMPOTENT)
    op = wait(cluster, 0, 2000)
    assert (op["type"], op["offset"]) == ("ok", 1)
    assert [o["type"] for o in ops_of(cluster, 0)] == ["invoke", "ok"] * 2
    logs = cluster.replica_logs(0)
    expected = [(0, "m0", (0, 0, 0)), (0, "m1", (0, 0, 1))]
    assert logs[2] == logs[3] == expected  # the retry was deduplicated
    assert replica(cluster, 2).producers.producers[0].batches == [(0, 0), (1, 1)]


def test_without_idempotence_a_retry_after_a_lost_answer_writes_a_duplicate() -> None:
    cluster = lose_the_answer_then_fail_over(AT_LEAST_ONCE)
    op = wait(cluster, 0, 2000)
    assert (op["type"], op["offset"]) == ("ok", 2)
    assert [e[1] for e in cluster.replica_logs(0)[2]] == ["m0", "m1", "m1"]


def test_without_retries_the_same_loss_is_an_unknown_outcome() -> None:
    cluster = lose_the_answer_then_fail_over(ClusterConfig())
    op = wait(cluster, 0, 2000)
    assert (op["type"], op["error"]) == ("info", "REQUEST_TIMED_OUT")
    assert [e[1] for e in cluster.replica_logs(0)[2]] == ["m0", "m1"]


def test_no_idempotent_dedup_appends_the_retry_again() -> None:
    cluster = lose_the_answer_then_fail_over(get_flaw("no-idempotent-dedup").apply(ClusterConfig()))
    op = wait(cluster, 0, 2000)
    assert (op["type"], op["offset"]) == ("ok", 2)
    assert [e[1] for e in cluster.replica_logs(0)[2]] == ["m0", "m1", "m1"]


def test_dedup_state_lost_on_failover_appends_the_retry_again() -> None:
    flawed = get_flaw("dedup-state-lost-on-failover").apply(ClusterConfig())
    cluster = lose_the_answer_then_fail_over(flawed)
    op = wait(cluster, 0, 2000)
    assert (op["type"], op["offset"]) == ("ok", 2)
    assert replica(cluster, 2).producers.producers[0].batches == [(1, 2)]


def test_a_retriable_error_is_retried_until_the_delivery_timeout() -> None:
    cluster = Cluster(AT_LEAST_ONCE, seed=1)
    send(cluster, 0, "a")
    cluster.crash(2)
    cluster.crash(3)
    cluster.tick(200)  # ISR shrinks to the leader: NOT_ENOUGH_REPLICAS before append
    start = cluster.now_ms
    cluster.send(0, 0, "b")
    op = wait(cluster, 0, 2000)
    assert (op["type"], op["error"]) == ("fail", "NOT_ENOUGH_REPLICAS")
    assert cluster.now_ms - start >= AT_LEAST_ONCE.delivery_timeout_ms
    assert [o["type"] for o in ops_of(cluster, 0)][-2:] == ["invoke", "fail"]


def test_an_unknown_outcome_starts_a_new_producer_id() -> None:
    cluster = Cluster(idempotent_producer(ClusterConfig(delivery_timeout_ms=300)), seed=1)
    cluster.partition([["b1"], ["b2", "b3"]])
    cluster.send(0, 0, "a")
    op = wait(cluster, 0, 2000)
    assert op["type"] == "info"
    cluster.heal()
    cluster.tick(300)
    assert send(cluster, 0, "b")["type"] == "ok"
    producers = {e[2][0] for e in cluster.replica_logs(0)[2] if len(e) > 2}
    assert 1 in producers  # "b" came from a second producer id


LOST_ANSWER_STEPS = [
    {"kind": "send", "args": {"process": 0, "partition": 0, "message": "m0"}},
    {"kind": "send", "args": {"process": 0, "partition": 0, "message": "m1", "wait": False}},
    {"kind": "tick", "args": {"ms": 1}},
    {"kind": "partition", "args": {"groups": [["b1"], ["c0"]]}},
    {"kind": "tick", "args": {"ms": 20}},
    {"kind": "crash", "args": {"broker": 1}},
    {"kind": "tick", "args": {"ms": 1500}},
]


def test_an_at_least_once_duplicate_is_reported_but_is_no_violation() -> None:
    from replicheck.report.case import has_violation, violation_names
    from replicheck.stateful.scenario import run_scenario

    result = run_scenario(AT_LEAST_ONCE, 1, LOST_ANSWER_STEPS)
    assert list(result.log_verdict.anomalies) == ["duplicate"]
    assert not result.violation and result.anomaly_names == []
    assert not has_violation(result) and violation_names(result) == ()
    flawed = run_scenario(get_flaw("no-idempotent-dedup").apply(ClusterConfig()), 1,
                          LOST_ANSWER_STEPS)
    assert flawed.violation and flawed.anomaly_names == ["duplicate"]
    assert has_violation(flawed) and violation_names(flawed) == ("duplicate",)
    clean = run_scenario(IDEMPOTENT, 1, LOST_ANSWER_STEPS)
    assert clean.log_verdict.valid and not clean.violation


def test_case_files_validate_the_producer_fields() -> None:
    from replicheck.report.case_fields import config_problem

    assert config_problem({"retries": 0, "enable_idempotence": False}) is None
    assert config_problem({"retries": 2**31 - 1, "delivery_timeout_ms": 1200}) is None
    assert "config.retries" in (config_problem({"retries": -1}) or "")
    assert "config.enable_idempotence" in (config_problem({"enable_idempotence": "yes"}) or "")
    assert "config.flush" in (config_problem({"flush": "sometimes"}) or "")
    assert config_problem({"flush": "interval", "flush_interval_ms": 5}) is None
