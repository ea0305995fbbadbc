"""Several batches in flight per producer connection (max.in.flight.requests.per.connection).

`producer_threads` processes share one producer instance (node `c0` for processes 0 and 1
here); each process still has one send outstanding, the instance has up to
`max_in_flight_requests_per_connection` of their batches in flight to a broker.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from replicheck.checker.log_anomalies import check_log
from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl import messages as m

IDEMPOTENT = ClusterConfig(retries=10, enable_idempotence=True, producer_threads=2)
AT_LEAST_ONCE = ClusterConfig(retries=10, producer_threads=2)


def _in_queue(cluster: Cluster, kind: type) -> list[Any]:
    return [q[4] for q in cluster._queue if isinstance(q[4], kind)]


def _log(cluster: Cluster) -> list[str]:
    return [entry[1] for entry in cluster.replica_logs(0)[1]]


def _results(cluster: Cluster) -> dict[str, tuple[str, int | None]]:
    """message -> (type, offset) of its send's completion."""
    return {
        op["value"]: (op["type"], op.get("offset"))
        for op in cluster.history
        if op["f"] == "send" and op["type"] != "invoke"
    }


def _run_until_idle(cluster: Cluster, processes: list[int], max_ms: int = 400) -> list[str]:
    """Tick 1 ms at a time until every process is idle; the produce errors seen on the way."""
    errors = []
    for _ in range(max_ms):
        errors += [r.error for r in _in_queue(cluster, m.ProduceResponse) if r.error != m.NONE]
        if all(cluster.is_idle(p) for p in processes):
            break
        cluster.tick(1)
    return errors


def _first_batch_delayed(config: ClusterConfig) -> Cluster:
    """m0's produce request sits on a slow link to the leader; m1's goes right after it."""
    cluster = Cluster(config, seed=1)
    cluster.tick(20)
    cluster.set_link_delay_ms("c0", "b1", 20)
    cluster.send(0, 0, "m0")
    for _ in range(20):
        if _in_queue(cluster, m.Produce):
            break
        cluster.tick(1)
    assert len(_in_queue(cluster, m.Produce)) == 1
    cluster.set_link_delay_ms("c0", "b1", 0)
    cluster.send(1, 0, "m1")
    return cluster


def test_processes_share_one_producer_instance() -> None:
    cluster = Cluster(IDEMPOTENT, seed=1)
    assert cluster._client(0) is cluster._client(1) and cluster._client(0).name == "c0"
    assert cluster._client(2) is not cluster._client(0) and cluster._client(2).name == "c2"
    cluster.send(0, 0, "m0")
    assert not cluster.is_idle(0) and cluster.is_idle(1)


def test_batches_of_one_producer_are_in_flight_together_and_numbered_in_send_order() -> None:
    cluster = Cluster(IDEMPOTENT, seed=1)
    cluster.send(0, 0, "m0")
    cluster.send(1, 0, "m1")
    assert len(_in_queue(cluster, m.InitProducerId)) == 1  # one producer id for both
    seen = 0
    for _ in range(10):
        cluster.tick(1)
        seen = max(seen, len(_in_queue(cluster, m.Produce)))
    assert seen == 2
    assert _run_until_idle(cluster, [0, 1]) == []
    assert _results(cluster) == {"m0": ("ok", 0), "m1": ("ok", 1)}
    assert [entry[2][2] for entry in cluster.replica_logs(0)[1]] == [0, 1]  # sequences


def test_the_in_flight_limit_queues_later_batches() -> None:
    cluster = Cluster(replace(IDEMPOTENT, max_in_flight_requests_per_connection=1), seed=1)
    cluster.send(0, 0, "m0")
    cluster.send(1, 0, "m1")
    seen = 0
    for _ in range(60):
        cluster.tick(1)
        seen = max(seen, len(_in_queue(cluster, m.Produce)))
    assert seen == 1
    assert _results(cluster) == {"m0": ("ok", 0), "m1": ("ok", 1)}


def test_idempotence_rejects_an_out_of_order_batch_and_the_retry_keeps_send_order() -> None:
    cluster = _first_batch_delayed(IDEMPOTENT)
    errors = _run_until_idle(cluster, [0, 1])
    # The leader has no state for the new producer id yet: UNKNOWN_PRODUCER_ID, then (once
    # m0 landed and the retry raced nothing) the batches land in send order.
    assert errors and set(errors) <= {m.OUT_OF_ORDER_SEQUENCE_NUMBER, m.UNKNOWN_PRODUCER_ID}
    assert _log(cluster) == ["m0", "m1"]
    assert _results(cluster) == {"m0": ("ok", 0), "m1": ("ok", 1)}


def test_a_gap_after_the_first_batch_is_out_of_order() -> None:
    cluster = Cluster(IDEMPOTENT, seed=1)
    cluster.send(0, 0, "m0")
    _run_until_idle(cluster, [0])
    cluster.set_link_delay_ms("c0", "b1", 20)
    cluster.send(0, 0, "m1")
    for _ in range(5):
        cluster.tick(1)
    cluster.set_link_delay_ms("c0", "b1", 0)
    cluster.send(1, 0, "m2")
    errors = _run_until_idle(cluster, [0, 1])
    assert m.OUT_OF_ORDER_SEQUENCE_NUMBER in errors
    assert _log(cluster) == ["m0", "m1", "m2"]


def test_without_idempotence_a_later_batch_can_land_first_and_the_checker_allows_it() -> None:
    cluster = _first_batch_delayed(AT_LEAST_ONCE)
    assert _run_until_idle(cluster, [0, 1]) == []
    assert _log(cluster) == ["m1", "m0"]  # Kafka promises no order here
    assert _results(cluster) == {"m1": ("ok", 0), "m0": ("ok", 1)}
    cluster.final_read(9)
    verdict = check_log(cluster.history)
    assert verdict.valid, verdict.anomalies


def test_one_batch_in_flight_keeps_send_order_without_idempotence() -> None:
    config = replace(AT_LEAST_ONCE, max_in_flight_requests_per_connection=1)
    cluster = _first_batch_delayed(config)
    _run_until_idle(cluster, [0, 1])
    assert _log(cluster) == ["m0", "m1"]


def test_a_batch_that_failed_for_good_gives_its_sequence_back() -> None:
    """A single producer (the original model) reuses the number of a batch that was
    certainly not written, so the next batch is not out of order."""
    config = replace(IDEMPOTENT, producer_threads=1, delivery_timeout_ms=300)
    cluster = Cluster(config, seed=1)
    cluster.send(0, 0, "a")
    _run_until_idle(cluster, [0])
    cluster.partition([["b1"], ["b2", "b3"]])
    cluster.tick(200)  # the ISR shrinks to b1: acks=all is rejected before append
    cluster.send(0, 0, "b")
    _run_until_idle(cluster, [0], 600)
    assert _results(cluster)["b"] == ("fail", None)
    assert cluster._client(0).next_seq == {0: 1}
    cluster.heal()
    cluster.tick(200)
    cluster.send(0, 0, "c")
    _run_until_idle(cluster, [0])
    assert _results(cluster)["c"] == ("ok", 1)
