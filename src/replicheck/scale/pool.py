"""Run a campaign's chunks in local worker processes (`--workers N` with a chunk plan).

The same rule as every engine (scale/engine.py): outcomes are collected as they complete,
a decisive chunk i cancels pending chunks after i, and running ones see a shared value
and stop between two examples. Processes are spawned (not forked): a chunk must not
inherit the parent's Hypothesis or simulation state.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.sharedctypes import Synchronized

from replicheck.scale.chunk import ChunkOutcome, ChunkTask, run_chunk
from replicheck.scale.engine import ChunkBook

#: in a worker process: the lowest decisive chunk index so far (set by `_init_worker`)
_STOP: Synchronized[int] | None = None


class PoolError(RuntimeError):
    """A worker process could not be started or died (not a finding)."""


def _init_worker(stop: Synchronized[int]) -> None:
    global _STOP
    _STOP = stop


def _pool_chunk(task: ChunkTask) -> ChunkOutcome:
    stop = _STOP
    assert stop is not None, "worker not initialized"

    def should_stop() -> bool:
        return task.spec.index > stop.value

    outcome = run_chunk(task, should_stop)
    outcome.where = f"process {multiprocessing.current_process().pid}"
    return outcome


def run_on_pool(
    tasks: Sequence[ChunkTask],
    workers: int,
    on_outcome: Callable[[ChunkOutcome], None] | None = None,
) -> list[ChunkOutcome]:
    """Run `tasks` in `workers` spawned processes; outcomes in plan order."""
    assert workers >= 1 and tasks
    book = ChunkBook(task.spec for task in tasks)
    context = multiprocessing.get_context("spawn")
    stop: Synchronized[int] = context.Value("q", max(t.spec.index for t in tasks) + 1)
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(stop,)
    )
    futures: dict[Future[ChunkOutcome], int] = {}
    try:
        for task in sorted(tasks, key=lambda t: t.spec.index):  # FIFO: lower chunks first
            futures[pool.submit(_pool_chunk, task)] = task.spec.index
        for future in as_completed(futures):
            if future.cancelled():
                continue
            try:
                outcome = future.result()
            except BrokenProcessPool as error:
                raise PoolError(f"a campaign worker process died: {error}") from None
            book.record(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
            if outcome.decisive:
                limit = book.stop_above
                assert limit is not None
                stop.value = limit
                for other, index in futures.items():
                    if index > limit:
                        other.cancel()
            if book.complete():
                break
    finally:
        stop.value = -1  # whatever still runs stops at its next poll
        pool.shutdown(wait=True, cancel_futures=True)
    return book.finish()
