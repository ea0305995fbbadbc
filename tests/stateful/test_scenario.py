"""The scenario executor on the real simulated cluster: outcomes, snapshots, replay."""

from replicheck.impl import ClusterConfig
from replicheck.impl.zoo import get_flaw
from replicheck.stateful.scenario import FINAL_READ_PROCESS, Step, run_scenario


def S(kind: str, **args) -> Step:
    return Step(kind, args)


FAILOVER = [
    S("send", process=0, partition=0, message="m1", wait=True),
    S("poll", process=1, partition=0, offset=0),
    S("crash", broker=1),
    S("tick", ms=90),
    S("send", process=2, partition=0, message="m2", wait=True),
    S("restart", broker=2),
    S("restart", broker=1),
]

# The acks=1 flaw's shortest story: the leader, cut off from its followers, acknowledges
# alone and dies.
ACKS_ONE = [
    S("partition", groups=[["b1"], ["b2", "b3"]]),
    S("send", process=0, partition=0, message="m1", wait=True, wait_ms=40),
    S("crash", broker=1),
    S("tick", ms=200),
]


def test_a_failover_reads_like_an_incident_with_outcomes() -> None:
    result = run_scenario(ClusterConfig(), 0, FAILOVER)
    assert result.step_lines() == [
        "  1. client 0 sends m1 to orders-0  → ok at offset 0",
        "  2. client 1 polls orders-0 from offset 0  → ok: m1@0",
        "  3. broker 1 crashes (process killed; page cache survives)  → ok",
        "  4. time passes 90 ms  → ok; orders-0: leader 2 (epoch 1, ISR 2,3)",
        "  5. client 2 sends m2 to orders-0  → ok at offset 1",
        "  6. broker 2 restarts  → skipped: broker 2 is running",
        "  7. broker 1 restarts  → ok",
    ]
    assert not result.violation
    assert result.anomaly_names == []
    assert result.log_verdict.valid


def test_snapshots_at_start_after_faults_and_after_the_final_read() -> None:
    result = run_scenario(ClusterConfig(), 0, FAILOVER)
    numbers = [number for number, _ in result.describe_snapshots]
    assert numbers == [0, 3, 6, 7, len(FAILOVER) + 1]
    start, end = result.describe_snapshots[0][1], result.describe_snapshots[-1][1]
    assert start == ["Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3"]
    assert end == ["Topic: orders Partition: 0 Leader: 2 Replicas: 1,2,3 Isr: 1,2,3"]


def test_history_ends_with_the_final_read_of_every_acknowledged_write() -> None:
    result = run_scenario(ClusterConfig(), 0, FAILOVER)
    final = [op for op in result.history if op.get("final")]
    assert final and all(op["process"] == FINAL_READ_PROCESS for op in final)
    read = [rec for op in final if op["type"] == "ok" for rec in op["value"]]
    assert read == [[0, "m1"], [1, "m2"]]
    assert set(result.replica_logs) == {"orders-0"}
    assert [m for _, m in result.replica_logs["orders-0"][2]] == ["m1", "m2"]


def test_replay_is_byte_identical() -> None:
    first = run_scenario(ClusterConfig(), 5, FAILOVER)
    second = run_scenario(ClusterConfig(), 5, [Step.from_dict(s.to_dict()) for s in FAILOVER])
    assert first.history == second.history
    assert first.events == second.events
    assert first.step_outcomes == second.step_outcomes


def test_the_same_steps_break_acks_one_and_not_the_correct_configuration() -> None:
    correct = run_scenario(ClusterConfig(), 0, ACKS_ONE)
    assert not correct.violation
    # Cut off from its followers, the leader cannot acknowledge: the send step stops
    # waiting after four fetch intervals and the write is never acknowledged.
    assert correct.step_outcomes[1] == "→ still in flight after 40 ms"
    m1 = [op["type"] for op in correct.history if op["f"] == "send" and op["value"] == "m1"]
    assert m1[0] == "invoke" and "ok" not in m1

    flawed = run_scenario(get_flaw("acks-one").apply(ClusterConfig()), 0, ACKS_ONE)
    assert flawed.violation
    assert flawed.flaw == "acks-one"
    assert flawed.step_outcomes[1] == "→ ok at offset 0"
    assert "unseen" in flawed.anomaly_names
    story = flawed.story()
    assert "  2. client 0 sends m1 to orders-0  → ok at offset 0" in story
    assert "m1" in flawed.log_verdict.render_text()


def test_without_wait_ms_a_send_waits_for_the_request_timeout() -> None:
    # Case files written before `wait_ms` existed replay with their original semantics.
    steps = [ACKS_ONE[0], S("send", process=0, partition=0, message="m1", wait=True)]
    result = run_scenario(ClusterConfig(), 0, steps)
    assert result.step_outcomes[1].startswith("→ info NOT_ENOUGH_REPLICAS_AFTER_APPEND")


def test_an_in_flight_send_completes_during_a_later_step() -> None:
    steps = [
        S("send", process=0, partition=0, message="m1", wait=False),
        S("tick", ms=10),
    ]
    result = run_scenario(ClusterConfig(), 0, steps)
    assert result.step_outcomes[0] == "→ in flight"
    assert result.step_outcomes[1] == "→ ok; client 0's m1: ok at offset 0"


def test_a_tick_until_a_protocol_moment_replays_as_a_plain_tick() -> None:
    from replicheck.stateful import moments
    from replicheck.stateful.scenario import Executor

    config = get_flaw("hw-over-committed-isr").apply(ClusterConfig())
    executor = Executor(config, 1)
    for step in (S("partition", groups=[["b1"], ["b3"]]), S("tick", ms=200), S("heal")):
        executor.apply(step)
    step = executor.tick_until(lambda c: moments.pending_expansion(c) is not None, 180)
    assert step.kind == "tick" and 0 < step.args["ms"] < 180
    assert moments.pending_expansion(executor.cluster) == (0, 1, 3)
    executor.tick_until(lambda c: moments.controller_ahead(c) is not None, 20)
    assert moments.controller_ahead(executor.cluster) == (0, 1, 3)
    executor.apply(S("partition", groups=[["b1"], ["b3", "controller"]]))
    executor.apply(S("send", process=0, partition=0, message="m1", wait=True, wait_ms=40))
    result = executor.finish()
    assert result.invariant_violations, result.story()
    again = run_scenario(config, 1, result.steps)
    assert again.history == result.history
    assert again.events == result.events
    assert again.step_outcomes == result.step_outcomes
    assert again.invariant_violations == result.invariant_violations


def test_a_cluster_that_does_not_converge_is_a_liveness_violation() -> None:
    steps = [
        S("send", process=0, partition=0, message="m1", wait=True),
        S("crash", broker=1),
        S("tick", ms=100),
        S("partition", groups=[["b2"], ["b3"]]),
        S("send", process=0, partition=0, message="m2", wait=False),
        S("tick", ms=5),
        S("crash", broker=2),
        S("restart", broker=2),
        S("tick", ms=5),
        S("crash", broker=3),
        S("restart", broker=3),
        S("heal"),
    ]
    flawed = run_scenario(get_flaw("epoch-cache-not-cleaned").apply(ClusterConfig()), 1, steps)
    assert flawed.violation and flawed.anomaly_names == ["liveness"]
    assert flawed.convergence_ms is None and flawed.convergence_bound_ms
    assert "liveness: not converged" in flawed.story()
    correct = run_scenario(ClusterConfig(), 1, steps)
    assert not correct.violation, correct.story()
    assert correct.convergence_ms is not None
    assert correct.convergence_ms <= correct.convergence_bound_ms
