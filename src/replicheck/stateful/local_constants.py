"""Make a campaign's exploration independent of the process it runs in.

Hypothesis (since 6.131.1; emptiable from 6.131.9, the package's floor) mixes literals
found in the source of every *local* module present in `sys.modules`
(`hypothesis.internal.conjecture.providers._get_local_constants`) into the values it
generates. Which modules are loaded differs between processes -- the
`replicheck` command loads the CLI and report modules, the Python API fewer, a Dask worker
its own -- and grows as modules are imported lazily during a run, so the same seed can
explore differently (measured at first: `hunt --flaw acks-one --seed 7 --max-examples 3 --steps 20`
failed in its third example from the command line and not from the Python API; with today's
menu, seed 11's fourth example differs, tests/scale/test_constants.py). A chunk
must explore the same on every machine and in every process, so every campaign
(`stateful.runner.run_single`, hence plain `hunt`, workers and scale's chunks) runs
with that pool empty.

This touches a private Hypothesis name: where it does not exist (another Hypothesis) the
context manager does nothing, and the engine-version part of the database namespace and
the worker version check keep such runs apart.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Run the body with Hypothesis's local-constants pool empty (then restore it)."""
    providers = importlib.import_module("hypothesis.internal.conjecture.providers")
    original: Callable[[], object] | None = getattr(providers, "_get_local_constants", None)
    constants_ast = importlib.import_module("hypothesis.internal.constants_ast")
    make_empty: Callable[[], object] | None = getattr(constants_ast, "Constants", None)
    if original is None or make_empty is None:
        yield
        return
    empty = make_empty()
    _clear_cache(providers)
    setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010 - a private name
    try:
        yield
    finally:
        setattr(providers, "_get_local_constants", original)  # noqa: B010
        _clear_cache(providers)


def _clear_cache(providers: object) -> None:
    """Drop choices cached from the pool that was in force (Hypothesis's own LRU)."""
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    if isinstance(cache, dict):
        cache.clear()
