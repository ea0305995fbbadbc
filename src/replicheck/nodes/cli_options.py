"""The click glue of the node target: decorators that `commands/hunt.py` and
`commands/replay.py` apply with one line each, so the node options live here, not there.

    @click.command(name="hunt")
    @core_options
    @node_options               # adds --node, --node-count, --workload, --faults
    def hunt(plan): ...

`node_options` is a `hunt_extension` (commands/hunt_plan.py): with `--node` it replaces
the plan's search by `NodeSearch` (cli_hunt.py), which uses the options hunt already has
(`--seed`, `--max-examples`, `--steps`, `--report-dir`, `--json`); hunt's flow prints,
reports and summarizes as for the reference cluster. Without `--node` the node options
must not be given (a usage error says so) and nothing changes.
`node_replay_options` does the same for `replay`: a node case (detected by its `format`)
is re-run `--runs` times; any other case goes to the decorated command unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from replicheck.commands.hunt_plan import HuntPlan, hunt_extension
from replicheck.stateful.runner import run_campaign

F = TypeVar("F", bound=Callable[..., Any])

_NODE_ONLY = {"node_count": "--node-count", "workload": "--workload", "faults": "--faults"}


def _adjust(plan: HuntPlan, values: Mapping[str, object]) -> HuntPlan:
    """With `--node`, the plan searches the node target; without, node options are errors."""
    node = values["node"]
    if node is None:
        given = [flag for name, flag in _NODE_ONLY.items() if values[name] is not None]
        if given:
            raise click.UsageError(f"{', '.join(given)} only apply with --node 'CMD'")
        return plan
    assert isinstance(node, str)
    if plan.run_campaign is not run_campaign:
        # Another extension (--database/--shard/--chunks/--dask) changed how the reference
        # campaign runs; a node hunt is one process with no example database, so refuse
        # rather than silently ignore it.
        raise click.UsageError(
            "--database, --shard, --chunks and --dask apply to the reference cluster, not --node"
        )
    from replicheck.nodes.cli_hunt import NodeSearch

    def search(plan: HuntPlan) -> NodeSearch:
        return NodeSearch(
            plan,
            node,
            _optional(values["node_count"], int),
            _optional(values["workload"], str),
            _optional(values["faults"], str),
        )

    return dataclasses.replace(plan, search=search)


T = TypeVar("T")


def _optional(value: object, kind: type[T]) -> T | None:
    assert value is None or isinstance(value, kind), value
    return value


#: `@node_options` under `@core_options` in commands/hunt.py
node_options = hunt_extension(
    click.option(
        "--node",
        metavar="'CMD ARGS…'",
        help="Hunt your own program instead of the reference cluster: N copies of CMD "
        "speaking Maelstrom's protocol (docs/nodes.md).",
    ),
    click.option(
        "--node-count",
        type=click.IntRange(1, 32),
        help="With --node: how many copies (n0…); default 3.",
    ),
    click.option(
        "--workload",
        type=click.Choice(["kafka"]),
        help="With --node: the workload the clients drive; default kafka.",
    ),
    click.option(
        "--faults",
        metavar="LIST",
        help="With --node: comma-separated among partition, loss, delay, duplicate, crash, "
        "pause, clients; or none. Default: partition,loss,delay,duplicate.",
    ),
    adjust=_adjust,
)


def node_replay_options(func: F) -> F:
    """Add `--runs` to a `replay` command callback; node cases are replayed here."""

    @functools.wraps(func)
    def wrapper(*args: Any, runs: int | None, **kwargs: Any) -> Any:
        case_path = kwargs.get("case_path", args[0] if args else None)
        from replicheck.nodes.case import is_node_case

        if isinstance(case_path, Path) and is_node_case(case_path):
            from replicheck.nodes.cli_replay import run_node_replay

            code = run_node_replay(
                case_path,
                runs=runs,
                as_json=bool(kwargs.get("as_json") or kwargs.get("json")),
                report_dir=kwargs.get("report_dir"),
            )
            raise click.exceptions.Exit(code)
        if runs is not None:
            click.echo(
                "note: --runs applies to node cases; this case replays bit for bit", err=True
            )
        return func(*args, **kwargs)

    option = click.option(
        "--runs",
        type=click.IntRange(min=1),
        help="Node cases: how many times to re-run (default: the case's replay_runs, 10); "
        "prints how often the violation reproduced.",
    )
    return cast(F, option(wrapper))
