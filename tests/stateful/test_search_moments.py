"""The search's state-aimed pieces: the first-copy moment of a write under load, the split
ISR, procedure writes that go on after a failure, the rolling restart's controller-link
blip, and the shared producer an example may draw."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from replicheck.impl import Cluster, ClusterConfig
from replicheck.stateful import moments
from replicheck.stateful.machine import (
    FAULT_FAMILIES,
    SHARED_PRODUCER_THREADS,
    Sink,
    make_machine,
    shared_producer,
)
from replicheck.stateful.result import RunResult
from replicheck.stateful.scenario import Executor, Step, run_scenario
from replicheck.stateful.steps import CLIENT_COUNT


def _machine(config: ClusterConfig | None = None):
    config = config or ClusterConfig()
    machine = make_machine(config, Sink())()
    machine.executor = Executor(config, seed=0)
    machine.families = frozenset(FAULT_FAMILIES)
    return machine


def _settled(seed: int = 0) -> Cluster:
    cluster = Cluster(ClusterConfig(), seed=seed)
    cluster.tick(50)
    return cluster


def test_log_ends_are_the_replica_log_lengths_without_copying() -> None:
    cluster = _settled()
    cluster.send(0, 0, "a")
    cluster.tick(30)
    ends = moments.log_ends(cluster, 0)
    assert ends == {b: len(log) for b, log in cluster.replica_logs(0).items()} == {1: 1, 2: 1, 3: 1}


def test_first_copy_waits_for_a_second_replica_while_a_cut_one_lacks_the_write() -> None:
    cluster = _settled()
    cluster.partition([["b1"], ["b2"]])  # leader 1 cannot reach follower 2
    before = moments.log_ends(cluster, 0)
    cluster.send(0, 0, "a")
    assert not moments.first_copy(cluster, 0, before)
    waited = cluster.run_until(lambda: moments.first_copy(cluster, 0, before), 30)
    assert waited < 30
    assert moments.log_ends(cluster, 0) == {1: 1, 2: 0, 3: 1}
    # already uneven before the write: the older record does not count as the new one
    cluster.send(1, 0, "b")
    assert not moments.first_copy(cluster, 0, moments.log_ends(cluster, 0))


def test_first_copy_never_comes_when_no_follower_can_fetch() -> None:
    cluster = _settled()
    cluster.partition([["b1"], ["b2", "b3"]])
    before = moments.log_ends(cluster, 0)
    cluster.send(0, 0, "a")
    cluster.tick(40)
    assert moments.log_ends(cluster, 0) == {1: 1, 2: 0, 3: 0}
    assert not moments.first_copy(cluster, 0, before)


def test_the_split_isr_is_a_record_on_some_isr_members_only() -> None:
    machine = _machine()
    assert not machine._isr_split()
    machine.ex.apply(Step("tick", {"ms": 50}))
    machine.ex.apply(Step("partition", {"groups": [["b1"], ["b2"]]}))
    machine.ex.apply(Step("send", {"process": 0, "partition": 0, "message": "a", "wait": False}))
    machine.ex.tick_until(lambda c: moments.log_ends(c, 0) == {1: 1, 2: 0, 3: 1}, 30)
    assert machine._isr_split()
    assert "bounce-leader" in machine._menu()
    # once follower 2 has left the ISR the record is on every ISR member: no longer split
    machine.ex.apply(Step("tick", {"ms": 200}))
    assert 2 not in machine.ex.cluster.store.partitions[0].isr
    assert not machine._isr_split()


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_under_load_ends_at_the_first_copy_or_its_bound(data: st.DataObject) -> None:
    machine = _machine()
    machine.ex.apply(Step("tick", {"ms": 50}))
    machine._do_cut_leader_follower(data)
    steps = machine.ex.steps
    sends = [s for s in steps if s.kind == "send"]
    if not sends:  # no load this time
        return
    ends = moments.log_ends(machine.ex.cluster, 0)
    tick = steps[steps.index(sends[0]) + 1]
    assert tick.kind == "tick"
    bound_ms = machine.plan.config.fetch_interval_ms + 4 * machine.plan.config.network_delay_ms
    assert tick.args["ms"] == bound_ms or sorted(ends.values()).count(1) >= 2
    # the recorded steps replay to the same state: the moment is a plain tick
    again = Executor(machine.plan.config, seed=0)
    for step in steps:
        again.apply(step)
    assert moments.log_ends(again.cluster, 0) == ends


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_procedure_write_is_written_again_only_after_a_failure(data: st.DataObject) -> None:
    machine = _machine()
    machine.ex.apply(Step("tick", {"ms": 50}))
    history_from = len(machine.ex.cluster.history)
    machine._send_until_done(data)
    sends = [
        op
        for op in machine.ex.cluster.history[history_from:]
        if op["f"] == "send" and op["type"] != "invoke"
    ]
    assert 1 <= len(sends) <= 2
    assert all(op["type"] == "fail" for op in sends[:-1])


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_a_stale_client_write_fails_once_and_is_written_again(data: st.DataObject) -> None:
    machine = _machine()
    ex = machine.ex
    ex.apply(Step("tick", {"ms": 50}))
    for process in (0, 1, 2):  # every client learns leader 1 (epoch 0)
        ex.apply(Step("poll", {"process": process, "partition": 0, "offset": 0}))
    ex.apply(Step("crash", {"broker": 1}))
    ex.apply(Step("tick", {"ms": 90}))  # leader 2, epoch 1
    ex.apply(Step("restart", {"broker": 1}))
    ex.apply(Step("tick", {"ms": 50}))
    ex.apply(Step("elect-preferred", {}))  # leader 1 again, epoch 2: every client is behind
    ex.apply(Step("tick", {"ms": 10}))
    history_from = len(ex.cluster.history)
    machine._send_until_done(data)
    done = [
        op
        for op in ex.cluster.history[history_from:]
        if op["f"] == "send" and op["type"] != "invoke"
    ]
    assert len(done) == 2 and done[0]["type"] == "fail"


@pytest.mark.parametrize("threads", sorted(set(SHARED_PRODUCER_THREADS)))
def test_a_shared_producer_keeps_the_final_read_its_own(threads: int) -> None:
    config = shared_producer(ClusterConfig(), threads)
    assert config.producer_threads == threads
    own = replace(ClusterConfig(), producer_threads=2)
    assert shared_producer(own, threads) is own  # a configuration's own choice stays
    steps = [
        Step("tick", {"ms": 50}),
        Step("send", {"process": 0, "partition": 0, "message": "a", "wait": False}),
        Step("send", {"process": 1, "partition": 0, "message": "b", "wait": False}),
        Step("send", {"process": 2, "partition": 0, "message": "c", "wait": False}),
        Step("tick", {"ms": 50}),
    ]
    result = run_scenario(config, 0, steps)
    assert not result.violation
    read = [
        record[1]
        for op in result.history
        if op["process"] == 3 and op["type"] == "ok"
        for record in op["value"]
    ]
    assert sorted(read) == ["a", "b", "c"]


def test_the_campaign_draws_shared_producers_and_their_results_replay() -> None:
    results: list[RunResult] = []
    machine = make_machine(ClusterConfig(), Sink(on_example=results.append))
    run_state_machine_as_test(
        machine,
        # 60: a derandomized run of 30 drew no shared producer for one version of the menu
        settings=settings(max_examples=60, stateful_step_count=6, deadline=None, database=None),
    )
    assert {r.config.producer_threads for r in results} == {1, CLIENT_COUNT}
    assert not any(r.violation for r in results)
    shared = next(r for r in results if r.config.producer_threads == CLIENT_COUNT)
    assert run_scenario(shared.config, shared.seed, shared.steps).history == shared.history


def test_the_fast_draw_makes_the_same_choices_as_data_draw(monkeypatch) -> None:
    """`draws.draw` skips DataObject.draw's bookkeeping only: a seeded campaign explores
    exactly the same examples with the public call."""
    from replicheck.stateful import actions_fence, draws
    from replicheck.stateful import machine as machine_module
    from replicheck.stateful.runner import run_single

    def explored() -> list[list[Step]]:
        seen: list[list[Step]] = []
        run_single(
            ClusterConfig(), 5, 15, 10, None, lambda sink, _: seen.append(list(sink.last_steps))
        )
        return seen

    fast = explored()

    def public(data, strategy, label=None):
        return data.draw(strategy, label=label)

    monkeypatch.setattr(machine_module, "draw", public)
    monkeypatch.setattr(actions_fence, "draw", public)
    assert draws.draw is not public
    assert explored() == fast and len(fast) >= 15
