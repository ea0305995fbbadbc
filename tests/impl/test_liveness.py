"""Liveness: the convergence bound, and a cluster that does not converge is reported with
its replica states and the requests it keeps repeating."""

from __future__ import annotations

from replicheck.impl import Cluster, ClusterConfig, liveness
from replicheck.impl.zoo import get_flaw


def test_bound_is_the_doubled_sum_of_its_phases() -> None:
    config = ClusterConfig()
    rtt = 2
    phases = (
        (80 + 2 * 20 + 2 * rtt)  # leadership
        + 300  # a lost AlterIsr is re-sent / client ops end
        + (4 + 1) * (3 * 10 + rtt)  # truncation rounds for 4 epochs
        + (130 // 64 + 2) * (10 + rtt)  # catch-up fetches for 130 records
        + (100 + 300 + 3 * (10 + 2 * rtt))  # ISR: shrink, rejected proposal, one join each
        + (10 + rtt)  # HW propagation
    )
    assert liveness.convergence_bound_ms(config, 4, 130, 1) == 2 * phases


def test_bound_grows_with_epochs_records_delay_and_timeouts() -> None:
    config = ClusterConfig()
    base = liveness.convergence_bound_ms(config, 2, 10, 1)
    assert liveness.convergence_bound_ms(config, 3, 10, 1) > base
    assert liveness.convergence_bound_ms(config, 2, 10 + 64, 1) > base
    assert liveness.convergence_bound_ms(config, 2, 10, 11) > base
    slower = ClusterConfig(session_timeout_ms=160)
    assert liveness.convergence_bound_ms(slower, 2, 10, 1) > base


def wait(cluster: Cluster, process: int) -> None:
    for _ in range(400):
        if cluster.is_idle(process):
            return
        cluster.tick(1)


# Two elections without writes (the KAFKA-10706 reproduction from issue 13).
STUCK = (
    ("send", 0, "a"), ("crash", 1), ("tick", 100), ("partition", [["b2"], ["b3"]]),
    ("async", 0, "b"), ("tick", 5), ("crash", 2), ("restart", 2), ("tick", 5), ("crash", 3),
    ("restart", 3), ("heal",),
)


def drive(config: ClusterConfig) -> Cluster:
    cluster = Cluster(config, seed=1)
    for kind, *args in STUCK:
        if kind == "send":
            cluster.send(args[0], 0, args[1])
            wait(cluster, args[0])
        elif kind == "async":
            cluster.send(args[0], 0, args[1])
        elif kind == "partition":
            cluster.partition(args[0])
        else:
            getattr(cluster, kind)(*args)
    cluster.final_read(9)
    return cluster


def test_correct_cluster_converges_within_its_bound() -> None:
    cluster = drive(ClusterConfig())
    assert cluster.liveness_violations == []
    assert cluster.convergence_ms is not None and cluster.convergence_bound_ms is not None
    assert 0 <= cluster.convergence_ms <= cluster.convergence_bound_ms
    assert cluster.invariant_violations() == []


def test_stuck_follower_is_a_liveness_violation_with_its_repeated_request() -> None:
    cluster = drive(get_flaw("epoch-cache-not-cleaned").apply(ClusterConfig()))
    assert cluster.convergence_ms is None
    texts = cluster.liveness_violations
    assert texts[0].startswith(f"not converged {cluster.convergence_bound_ms} ms after teardown")
    assert "broker 3 is still truncating" in texts[0]
    assert any(t.startswith("keeps repeating: b3 sent OffsetsForLeaderEpoch(partition 0, "
                            "epoch 3, asking about epoch 2)") for t in texts), texts
    assert any("broker 3: follower in epoch 3" in t and "epochs 0@0, 2@1" in t for t in texts)
    # A caught-up follower's idle long poll is not reported as a loop.
    assert not any("keeps repeating: b1 sent Fetch" in t for t in texts), texts


def test_truncating_to_the_log_end_cleans_the_epoch_cache() -> None:
    from replicheck.impl.storage import PartitionLog

    log = PartitionLog(fsync=True)
    log.append(0, "a")
    log.assign_epoch(2, 1)  # an empty epoch at the log end
    assert log.truncate(1) == 0 and log.epochs == [(0, 0)]
    log.assign_epoch(2, 1)
    assert log.truncate(1, clean_at_end=False) == 0 and log.epochs == [(0, 0), (2, 1)]
