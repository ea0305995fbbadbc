"""Progress of `hunt --node` on stderr: examples so far, steps, and when a violation was
found (then the minimizer's re-runs follow, which take a while for real processes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from replicheck.nodes.target import NodeRun

if TYPE_CHECKING:
    from replicheck.nodes.cli_hunt import NodeHuntRequest

OnExample = Callable[[NodeRun], None]


def _ignore(run: NodeRun) -> None:
    return None


@contextmanager
def progress(request: NodeHuntRequest, *, enabled: bool = True) -> Iterator[OnExample]:
    """Yield the search's `on_example` callback; the bar is transient (gone when done)."""
    if not enabled:
        yield _ignore
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} examples · {task.fields[steps]} steps"),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True, highlight=False)
    label = f"{request.node_count} node(s)"
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=request.max_examples, steps=0)
        steps = 0

        def on_example(run: NodeRun) -> None:
            nonlocal steps
            steps += len(run.steps)
            found = " [red]found, minimizing[/]" if run.violation else ""
            bar.update(task, advance=1, steps=steps, description=label + found)

        yield on_example
