"""Run a campaign's chunks as tasks on an existing Dask cluster (`distributed`).

The driver submits one task per chunk (lower chunks first), collects outcomes as they
complete (`as_completed`) and applies the rule of `engine.ChunkBook`: once chunk i is
decisive, pending chunks after i are cancelled and running ones see a shared
`distributed.Variable` and stop between two examples. Minimization is not done here: the
driver polishes the winner once. Workers need only `pip install 'replicheck[dask]'`, with
the same replicheck and Hypothesis versions as the driver (checked: another engine would
explore the same seed differently).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from replicheck.scale.chunk import ChunkOutcome, ChunkTask, run_chunk
from replicheck.scale.engine import ChunkBook


class DaskFuture(Protocol):
    """The part of `distributed.Future` the engine uses (distributed ships no types)."""

    def result(self) -> ChunkOutcome: ...
    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...


class DaskClient(Protocol):
    """The part of `distributed.Client` the engine uses."""

    def submit(
        self,
        func: Callable[[ChunkTask, str], ChunkOutcome],
        task: ChunkTask,
        stop_name: str,
        *,
        key: str,
        pure: bool,
        priority: int,
    ) -> DaskFuture: ...
    def cancel(self, futures: list[DaskFuture]) -> None: ...
    def run(self, func: Callable[[], tuple[str, str]]) -> dict[str, Sequence[str]]: ...
    def wait_for_workers(self, n_workers: int, timeout: float) -> None: ...
    def close(self) -> None: ...


class DaskVariable(Protocol):
    """The part of `distributed.Variable` the engine uses (a small value on the scheduler)."""

    name: str

    def set(self, value: int) -> None: ...
    def get(self, timeout: float) -> int: ...


@dataclass(frozen=True)
class _Dask:
    """distributed's entry points, bound to typed names (it has no type annotations)."""

    client: Callable[..., DaskClient]
    variable: Callable[..., DaskVariable]
    as_completed: Callable[[Iterable[DaskFuture]], Iterator[DaskFuture]]
    worker_address: Callable[[], str]


def _dask() -> _Dask:
    try:
        import distributed
    except ImportError:
        raise DaskEngineError(
            "--dask needs the Dask distributed client: pip install 'replicheck[dask]'"
        ) from None

    def worker_address() -> str:
        return str(distributed.get_worker().address)

    return _Dask(
        # Client's own partial annotations are looser than the protocol: checked by tests
        client=cast(Callable[..., DaskClient], distributed.Client),
        variable=distributed.Variable,
        as_completed=distributed.as_completed,
        worker_address=worker_address,
    )


#: how long to wait for the scheduler to answer, and for a first worker to join
CONNECT_TIMEOUT_S = 30


class DaskEngineError(RuntimeError):
    """The Dask cluster could not run the campaign (unreachable, no workers, wrong versions)."""


def engine_versions() -> tuple[str, str]:
    """(replicheck, Hypothesis) versions of this process: workers must match the driver."""
    import hypothesis

    import replicheck

    return replicheck.__version__, hypothesis.__version__


def connect(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> DaskClient:
    """A client of the scheduler at `address`, with at least one worker of our versions."""
    dask = _dask()
    try:
        client = dask.client(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError) as error:
        raise DaskEngineError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    try:
        client.wait_for_workers(1, timeout=timeout_s)
        check_versions(client)
    except BaseException:
        client.close()
        raise
    return client


def check_versions(client: DaskClient) -> None:
    """Refuse workers whose replicheck or Hypothesis differ from the driver's."""
    mine = engine_versions()
    theirs = client.run(engine_versions)
    wrong = {w: tuple(v) for w, v in theirs.items() if tuple(v) != mine}
    if wrong:
        worker, (ours, engine) = sorted(wrong.items())[0]
        raise DaskEngineError(
            f"Dask worker {worker} runs replicheck {ours} with Hypothesis {engine}; the driver "
            f"has replicheck {mine[0]} with Hypothesis {mine[1]} ({len(wrong)} worker(s) differ)"
        )


def _chunk_task(task: ChunkTask, stop_name: str) -> ChunkOutcome:
    """The task a worker runs: the chunk, stopping when a lower chunk became decisive."""
    dask = _dask()
    stop = dask.variable(stop_name)
    _quiet_worker_threads()

    def should_stop() -> bool:
        try:
            return task.spec.index > int(stop.get(timeout=CONNECT_TIMEOUT_S))
        except TimeoutError:  # the scheduler is gone or overloaded: the answer is lost anyway
            return True

    outcome = run_chunk(task, should_stop)
    outcome.where = dask.worker_address()
    return outcome


def _quiet_worker_threads() -> None:
    """Silence Hypothesis's warning that the global `random` changed during a draw.

    On a Dask worker the worker's own threads (heartbeats, retries with jitter) use the
    global `random` while a chunk draws; the simulation never does (impl seeds its own
    `random.Random`), so the warning says nothing about the campaign.
    """
    import warnings

    from hypothesis.errors import HypothesisDeprecationWarning

    warnings.filterwarnings(
        "ignore", message="Do not use the `random` module", category=HypothesisDeprecationWarning
    )


def run_on_dask(
    client: DaskClient,
    tasks: Sequence[ChunkTask],
    on_outcome: Callable[[ChunkOutcome], None] | None = None,
) -> list[ChunkOutcome]:
    """Run `tasks` on `client`'s cluster; outcomes in plan order (see ChunkBook)."""
    dask = _dask()
    book = ChunkBook(task.spec for task in tasks)
    campaign_id = uuid.uuid4().hex[:12]
    stop = dask.variable(f"replicheck-stop-{campaign_id}", client=client)
    stop.set(len(tasks) + max(t.spec.index for t in tasks))  # nothing decisive yet
    futures: dict[DaskFuture, int] = {}
    for task in tasks:
        index = task.spec.index
        future = client.submit(
            _chunk_task,
            task,
            stop.name,
            key=f"replicheck-chunk-{campaign_id}-{index}",
            pure=False,
            priority=-index,  # lower chunks first: they decide the answer
        )
        futures[future] = index
    try:
        for future in dask.as_completed(list(futures)):
            if future.cancelled():
                continue
            outcome = _outcome_of(future, futures[future])
            book.record(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
            if outcome.decisive:
                _cancel_after(client, stop, book, futures)
            if book.complete():
                break
    finally:
        # Every chunk still running stops at its next poll. The variable is left on the
        # scheduler (a few bytes): deleting it makes those polls fail there, noisily.
        stop.set(-1)
        client.cancel([f for f in futures if not f.done()])
    return book.finish()


def _outcome_of(future: DaskFuture, index: int) -> ChunkOutcome:
    try:
        outcome = future.result()
    except Exception as error:  # a worker died, or the task could not be unpickled
        raise DaskEngineError(f"chunk {index} failed on the Dask cluster: {error!r}") from None
    assert outcome.spec.index == index
    return outcome


def _cancel_after(
    client: DaskClient, stop: DaskVariable, book: ChunkBook, futures: dict[DaskFuture, int]
) -> None:
    """Tell running chunks after the lowest decisive one to stop; cancel pending ones."""
    limit = book.stop_above
    assert limit is not None
    stop.set(limit)
    client.cancel([f for f, i in futures.items() if i > limit and not f.done()])
