"""The state machine's helpers and a short run under Hypothesis on the real cluster."""

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from replicheck.impl import ClusterConfig
from replicheck.stateful.machine import Sink, make_machine, partition_states, tick_sizes_ms
from replicheck.stateful.minimize import renumber_messages
from replicheck.stateful.scenario import Executor, Step


def test_tick_sizes_follow_the_configuration() -> None:
    # half a fetch, a fetch, session timeout + fetch, lag limit + fetch
    assert tick_sizes_ms(ClusterConfig()) == [5, 10, 90, 110]
    config = ClusterConfig(fetch_interval_ms=20, session_timeout_ms=200)
    assert tick_sizes_ms(config) == [10, 20, 120, 220]


def test_partition_states_read_leader_and_isr_from_describe() -> None:
    executor = Executor(ClusterConfig(partition_count=2), seed=0)
    states = partition_states(executor)
    assert sorted(states) == [0, 1]
    assert states[0].leader == 1 and states[0].isr == (1, 2, 3)
    assert states[1].leader == 2  # round-robin preferred leaders
    executor.apply(Step("crash", {"broker": 1}))
    executor.apply(Step("tick", {"ms": 90}))
    assert partition_states(executor)[0].leader == 2


def test_messages_are_renumbered_in_sending_order() -> None:
    steps = [
        Step("send", {"process": 0, "partition": 0, "message": "m7"}),
        Step("tick", {"ms": 5}),
        Step("send", {"process": 1, "partition": 0, "message": "m9", "wait": False}),
    ]
    renamed = renumber_messages(steps)
    assert [s.args.get("message") for s in renamed] == ["m1", None, "m2"]
    assert renamed[2].args["wait"] is False


def test_the_machine_runs_clean_examples_and_counts_them() -> None:
    sink = Sink()
    machine = make_machine(ClusterConfig(), sink)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15, stateful_step_count=10, database=None, deadline=None,
            suppress_health_check=list(HealthCheck), derandomize=True,
        ),
    )  # fmt: skip
    assert sink.failures == []
    assert sink.examples >= 15
    assert sink.steps >= sink.examples  # every example has steps
    assert sink.last_steps and all(isinstance(s, Step) for s in sink.last_steps)


def test_aiming_helpers_name_the_successor_and_the_replicas_ahead() -> None:
    machine = make_machine(ClusterConfig(), Sink())()
    machine.executor = Executor(ClusterConfig(), seed=0)
    assert machine._successor(0, 1) == 2  # first live ISR member after the leader
    assert machine._ahead() == []  # empty logs: nobody is ahead
    # A cut between the leader and its successor under load: the write reaches broker 3
    # only, so brokers 1 and 3 hold a record that broker 2 lacks.
    machine.executor.apply(Step("partition", {"groups": [["b1"], ["b2"]]}))
    machine.executor.apply(
        Step("send", {"process": 0, "partition": 0, "message": "m1", "wait": False})
    )
    machine.executor.apply(Step("tick", {"ms": 5}))
    assert machine._ahead() == [1, 3]
    machine.executor.apply(Step("crash", {"broker": 2}))
    assert machine._successor(0, 1) == 3  # a dead broker is nobody's successor
