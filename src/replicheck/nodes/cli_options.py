"""The click glue of the node target: decorators that `commands/hunt.py` and
`commands/replay.py` apply with one line each, so the node options live here, not there.

    @click.command(name="hunt")
    @node_hunt_options          # adds --node, --node-count, --workload, --faults
    @click.option("--seed", ...)
    ...
    def hunt(...): ...

With `--node` the decorated command does not run: `run_node_hunt` does, with the shared
options the reference cluster's hunt already has (`--seed`, `--max-examples`, `--steps`,
`--report-dir`, `--json`), and the process exits with its code. Without `--node` the node
options must not be given (a usage error says so) and the command runs as before.
`node_replay_options` does the same for `replay`: a node case (detected by its `format`)
is re-run `--runs` times; any other case goes to the decorated command unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

F = TypeVar("F", bound=Callable[..., Any])

#: reference-cluster options that mean nothing for node processes: given with --node they
#: only earn a note (a `--flaw` is an error: it names something the node target lacks)
_IGNORED_WITH_NODE = ("profile", "workers", "no_database", "hypothesis_version")
_NODE_ONLY = ("node_count", "workload", "faults")


def _given(name: str) -> bool:
    ctx = click.get_current_context()
    source = ctx.get_parameter_source(name)
    return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def _option_flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _param_names(func: Callable[..., Any]) -> set[str]:
    params = getattr(func, "__click_params__", [])
    return {p.name for p in params if isinstance(p, click.Parameter) and p.name}


def node_hunt_options(func: F) -> F:
    """Add the node options to a `hunt` command callback (see the module docstring).

    Apply it right below `@click.command`, so it sees the options it shares. If the command
    has no `--json` yet, this adds one that works with `--node` only."""
    own_json = not {"as_json", "json"} & _param_names(func)

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        node: str | None,
        node_count: int | None,
        workload: str | None,
        faults: str | None,
        **kwargs: Any,
    ) -> Any:
        as_json = bool(kwargs.pop("as_json", False)) if own_json else False
        if as_json and node is None:
            raise click.UsageError("--json applies to --node hunts in this version")
        if node is None:
            given = [_option_flag(n) for n in _NODE_ONLY if _given(n)]
            if given:
                raise click.UsageError(f"{', '.join(given)} only apply with --node 'CMD'")
            return func(*args, **kwargs)
        if kwargs.get("flaw"):
            raise click.UsageError("--flaw selects a reference-cluster flaw; not with --node")
        from replicheck.nodes.cli_hunt import run_node_hunt

        ignored = [_option_flag(n) for n in _IGNORED_WITH_NODE if n in kwargs and _given(n)]
        code = run_node_hunt(
            node,
            node_count=node_count,
            workload=workload,
            faults=faults,
            seed=kwargs.get("seed"),
            max_examples=kwargs.get("max_examples"),
            steps=kwargs.get("steps"),
            report_dir=kwargs.get("report_dir") or Path("reports"),
            as_json=bool(as_json or kwargs.get("as_json") or kwargs.get("json")),
            ignored=ignored,
        )
        raise click.exceptions.Exit(code)

    options = [
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
    ]
    if own_json:
        options.append(
            click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (for CI).")
        )
    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return cast(F, decorated)  # click's decorators erase the callback's type


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
