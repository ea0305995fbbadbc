"""The soundness claim: the correct configuration never loses an acknowledged write, never
lets two reads disagree on an offset and never breaks a replica invariant, whatever the
sequence of fault calls."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.impl import Cluster, ClusterConfig, elr
from replicheck.impl.config import (
    at_least_once_producer,
    eligible_leader_replicas,
    idempotent_producer,
)
from replicheck.impl.zoo import FLAWS

NODES = ["b1", "b2", "b3", "controller", "c0", "c1"]


def _step(brokers: int) -> st.SearchStrategy[tuple[Any, ...]]:
    broker = st.integers(1, brokers)
    groups = st.lists(st.sampled_from(NODES), min_size=1, max_size=4, unique=True).flatmap(
        lambda chosen: st.integers(1, len(chosen)).map(
            lambda cut: [chosen[:cut], chosen[cut:]] if cut < len(chosen) else [chosen]))
    return st.one_of(
        st.tuples(st.just("send"), st.integers(0, 1), st.integers(0, 1), st.booleans()),
        st.tuples(st.just("poll"), st.integers(0, 1), st.integers(0, 1), st.integers(0, 6)),
        st.tuples(st.just("tick"), st.sampled_from([1, 3, 10, 50, 120, 400])),
        st.tuples(st.just("crash"), broker),
        st.tuples(st.just("power-loss"), broker),
        st.tuples(st.just("restart"), broker),
        st.tuples(st.just("partition"), groups),
        st.tuples(st.just("heal")),
        st.tuples(st.just("loss"), st.sampled_from([0.0, 0.1, 0.4])),
        st.tuples(st.just("delay"), st.sampled_from([(1, 1), (1, 5), (1, 40)])),
        st.tuples(st.just("controller-failover")),
        st.tuples(st.just("elect-preferred")),
    )


def run_steps(
    config: ClusterConfig, seed: int, steps: list[tuple[Any, ...]], *, check_invariants: bool = True,
    power_loss_brokers: int | None = None,
) -> Cluster:
    """Drive a cluster through `steps`; with `check_invariants`, assert them after each step
    (flawed configurations break them on purpose, so their runs only compute them).
    `power_loss_brokers` bounds how many distinct brokers may lose power (later power losses
    of other brokers are skipped, and so is every power loss once an unclean recovery has
    started, see impl/elr.py): what a configuration without fsync
    promises to survive."""
    cluster = Cluster(config, seed=seed)
    counter = 0
    powered_off: set[int] = set()
    for step in steps:
        kind = step[0]
        if kind == "send" and cluster.is_idle(step[1]):
            counter += 1
            cluster.send(step[1], step[2] % config.partition_count, f"m{counter}")
            if step[3]:  # wait for the outcome, like a synchronous producer
                for _ in range(config.request_timeout_ms + 5):
                    if cluster.is_idle(step[1]):
                        break
                    cluster.tick(1)
        elif kind == "poll" and cluster.is_idle(step[1]):
            cluster.poll(step[1], step[2] % config.partition_count, step[3])
        elif kind == "tick":
            cluster.tick(step[1])
        elif kind == "crash" and cluster.is_live(step[1]):
            cluster.crash(step[1])
        elif kind == "power-loss" and cluster.is_live(step[1]):
            if power_loss_brokers is None or (
                len(powered_off | {step[1]}) <= power_loss_brokers
                and not any(e["kind"] in elr.RECOVERY_EVENTS for e in cluster.events)
            ):
                powered_off.add(step[1])
                cluster.power_loss(step[1])
        elif kind == "restart" and not cluster.is_live(step[1]):
            cluster.restart(step[1])
        elif kind == "partition":
            cluster.partition(step[1])
        elif kind == "heal":
            cluster.heal()
        elif kind == "loss":
            cluster.set_message_loss(step[1])
        elif kind == "delay":
            cluster.set_message_delay_ms(*step[1])
        elif kind == "controller-failover":
            cluster.controller_failover()
        elif kind == "elect-preferred":
            cluster.elect_preferred_leaders()
        violations = cluster.invariant_violations()
        assert not check_invariants or violations == [], (step, violations)
    cluster.final_read(99)
    if check_invariants:
        assert cluster.invariant_violations() == []
    return cluster


def durability_problems(cluster: Cluster) -> list[str]:
    """Acked sends missing from the final read at their offset; offsets read two ways."""
    problems = []
    final: dict[str, dict[int, str]] = {}
    seen: dict[tuple[str, int], str] = {}
    for op in cluster.history:
        if op["f"] == "poll" and op["type"] == "ok":
            for offset, value in op["value"]:
                previous = seen.setdefault((op["key"], offset), value)
                if previous != value:
                    problems.append(f"{op['key']}@{offset} read as {previous} and {value}")
                if op.get("final"):
                    final.setdefault(op["key"], {})[offset] = value
    for op in cluster.history:
        if op["f"] == "send" and op["type"] == "ok":
            got = final.get(op["key"], {}).get(op["offset"])
            if got != op["value"]:
                problems.append(f"acked {op['value']}@{op['offset']} lost (final read: {got})")
    return problems


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**16), steps=st.lists(_step(3), min_size=1, max_size=30))
def test_correct_config_never_loses_acknowledged_writes(seed: int, steps: list) -> None:
    cluster = run_steps(ClusterConfig(), seed, steps)
    assert durability_problems(cluster) == []


def _with_broker_epochs(config: ClusterConfig) -> ClusterConfig:
    return idempotent_producer(replace(config, broker_epochs=True))


@pytest.mark.parametrize("producer", [idempotent_producer, at_least_once_producer,
                                      _with_broker_epochs])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**16), steps=st.lists(_step(3), min_size=1, max_size=30))
def test_retrying_producers_never_lose_acknowledged_writes(producer, seed: int,
                                                           steps: list) -> None:
    """Kafka's producer defaults (idempotent or at-least-once retries) keep every promise;
    the idempotent one also never writes a message twice."""
    config = producer(ClusterConfig())
    cluster = run_steps(config, seed, steps)
    assert durability_problems(cluster) == []
    if config.enable_idempotence:
        finals = [v for op in cluster.history if op.get("final") and op["type"] == "ok"
                  for _, v in op["value"]]
        assert len(finals) == len(set(finals)), finals


@pytest.mark.parametrize("min_isr", [2, 1])
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**16), steps=st.lists(_step(3), min_size=1, max_size=30))
def test_elr_without_fsync_survives_min_isr_minus_one_power_losses(min_isr: int, seed: int,
                                                                    steps: list) -> None:
    """KIP-966's promise: with ELR and balanced unclean recovery, page-cache durability
    loses no acknowledged write while fewer than min.insync.replicas brokers lose their
    unflushed suffix (crashes, partitions and controller failovers unbounded)."""
    config = eligible_leader_replicas(ClusterConfig(min_insync_replicas=min_isr))
    cluster = run_steps(config, seed, steps,
                        power_loss_brokers=config.min_insync_replicas - 1)
    assert durability_problems(cluster) == []


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**16), steps=st.lists(_step(3), min_size=1, max_size=30))
def test_correct_config_with_two_partitions(seed: int, steps: list) -> None:
    config = ClusterConfig(partition_count=2)
    cluster = run_steps(config, seed, steps)
    assert durability_problems(cluster) == []


@pytest.mark.parametrize("name", sorted(FLAWS))
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**16), steps=st.lists(_step(3), min_size=1, max_size=25))
def test_flawed_configurations_run_without_crashing(name: str, seed: int, steps: list) -> None:
    """The campaign runs thousands of flawed clusters: a flaw may lose data, never crash the
    simulation, and the final read always completes."""
    cluster = run_steps(FLAWS[name].apply(ClusterConfig()), seed, steps, check_invariants=False)
    assert cluster.is_idle(99)
    assert any(op.get("final") for op in cluster.history)
