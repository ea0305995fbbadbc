"""`replicheck describe`: watch a small cluster fail over, in kafka-topics.sh lines.

Runs the reference cluster through a short deterministic scenario — a few writes, the
failure of broker 1, its recovery, a preferred-leader election — and prints the
`kafka-topics.sh --describe` lines at each stage. Useful to see what the simulation models
and as a smoke test of an installation.
"""

from __future__ import annotations

import click

from replicheck.impl import Cluster, ClusterConfig


def _stage(title: str, lines: list[str]) -> list[str]:
    return [f"# {title}", *lines, ""]


def describe_scenario(
    partitions: int, seed: int, under_replicated: bool, unavailable: bool
) -> list[str]:
    """The stages of the scenario as text lines (pure: same arguments, same lines)."""
    config = ClusterConfig(partition_count=partitions)
    cluster = Cluster(config, seed=seed)

    def lines() -> list[str]:
        return cluster.describe(under_replicated=under_replicated, unavailable=unavailable)

    for i in range(partitions * 2):
        cluster.send(0, i % partitions, f"m{i}")
        cluster.tick(20)
    out = _stage(
        f"t={cluster.now_ms}ms: {config.broker_count} brokers, topic "
        f"{config.topic}, all replicas in sync",
        lines(),
    )
    cluster.crash(1)
    cluster.tick(config.session_timeout_ms + config.replica_lag_time_max_ms)
    moved = "the controller noticed and moved its leaderships"
    out += _stage(f"t={cluster.now_ms}ms: broker 1 crashed; {moved}", lines())
    cluster.restart(1)
    cluster.settle(5_000)
    out += _stage(f"t={cluster.now_ms}ms: broker 1 restarted and caught up", lines())
    cluster.elect_preferred_leaders()
    cluster.settle(5_000)
    out += _stage(f"t={cluster.now_ms}ms: preferred-leader election", lines())
    return out[:-1]


@click.command(name="describe")
@click.option(
    "--partitions",
    type=click.IntRange(1, 64),
    default=3,
    show_default=True,
    help="Partitions of the topic.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Simulation seed.")
@click.option(
    "--under-replicated-partitions",
    "under_replicated",
    is_flag=True,
    help="Only partitions whose ISR is smaller than the replica set.",
)
@click.option(
    "--unavailable-partitions",
    "unavailable",
    is_flag=True,
    help="Only partitions without a live leader.",
)
def describe(partitions: int, seed: int, under_replicated: bool, unavailable: bool) -> None:
    """Show a simulated leader failure and recovery as kafka-topics.sh --describe lines."""
    for line in describe_scenario(partitions, seed, under_replicated, unavailable):
        click.echo(line)
