"""A standalone search over node runs: Hypothesis chooses step lists, a failing run is
minimized by re-running candidates, and `replay` says how often a case reproduces.

Node processes are not deterministic, so this differs from the reference cluster's
campaign in two ways. Hypothesis only *generates* (its shrinker assumes that a test gives
the same answer twice and would report "Flaky"); shrinking is done here on the step list,
and a candidate is kept only if it fails on every one of `runs` re-runs with one of the
original anomalies. And a result says how reliably it reproduces ("9/10"), never just
"fails". `replicheck hunt --node` runs this search (cli_hunt.py).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from replicheck.nodes.errors import NodeError
from replicheck.nodes.steps import NodeStep
from replicheck.nodes.target import NodeConfig, NodeRun, NodeTarget

FAULTS = ("partition", "loss", "delay", "duplicate", "crash", "pause", "clients")
DEFAULT_FAULTS = ("partition", "loss", "delay", "duplicate")
KEYS = ("a", "b")
CLIENTS = 3
#: the harness bounds a search uses: short, so a fault that stalls a request costs little
SEARCH_CONFIG = NodeConfig(request_timeout_ms=300, quiet_window_ms=15, quiesce_max_ms=500)


def parse_faults(text: str) -> tuple[str, ...]:
    """`"partition,crash"` → the tuple; `"none"` → (); ValueError names an unknown fault."""
    if text.strip() == "none":
        return ()
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [f for f in chosen if f not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r} (choose from {', '.join(FAULTS)} or none)")
    return chosen


def _client_steps(nodes: list[str]) -> st.SearchStrategy[NodeStep]:
    client, node, key = st.integers(0, CLIENTS - 1), st.sampled_from(nodes), st.sampled_from(KEYS)
    send = st.builds(
        lambda c, n, k, w: NodeStep(
            "send", {"client": c, "node": n, "key": k, "msg": 0, "wait": w}
        ),
        client,
        node,
        key,
        st.sampled_from([True, True, True, False]),
    )
    simple = [
        st.builds(
            lambda c, n, k, kind=kind: NodeStep(kind, {"client": c, "node": n, "key": k}),
            client,
            node,
            key,
        )
        for kind in ("poll", "commit")
    ]
    listing = st.builds(
        lambda c, n: NodeStep("list", {"client": c, "node": n, "keys": list(KEYS)}), client, node
    )
    return st.one_of(send, send, *simple, listing)


def _fault_steps(nodes: list[str], faults: Sequence[str]) -> list[st.SearchStrategy[NodeStep]]:
    node = st.sampled_from(nodes)
    everyone = [*nodes, "lin-kv"]
    chosen: list[st.SearchStrategy[NodeStep]] = []
    if "partition" in faults:

        def split(members: list[str]) -> NodeStep:
            rest = [m for m in everyone if m not in members]
            return NodeStep("partition", {"groups": [sorted(members), sorted(rest)]})

        chosen.append(
            st.lists(
                st.sampled_from(everyone), min_size=1, max_size=len(everyone) - 1, unique=True
            ).map(split)
        )
        chosen.append(st.just(NodeStep("heal")))
    if "loss" in faults:
        chosen.append(
            st.sampled_from([0.0, 0.2, 0.5]).map(lambda p: NodeStep("faults", {"loss": p}))
        )
        chosen.append(
            st.builds(
                lambda s, d: NodeStep("drop", {"src": s, "dest": d}),
                st.sampled_from(everyone),
                st.sampled_from(everyone),
            )
        )
    if "delay" in faults:
        chosen.append(
            st.sampled_from([(0, 0), (1, 10), (5, 50)]).map(
                lambda d: NodeStep("faults", {"delay_lo_ms": d[0], "delay_hi_ms": d[1]})
            )
        )
    if "duplicate" in faults:
        chosen.append(
            st.sampled_from([0.0, 0.5, 1.0]).map(lambda p: NodeStep("faults", {"duplicate": p}))
        )
    if "crash" in faults:
        chosen.append(node.map(lambda n: NodeStep("crash", {"node": n})))
    if "pause" in faults:
        chosen.append(node.map(lambda n: NodeStep("pause", {"node": n})))
        chosen.append(node.map(lambda n: NodeStep("resume", {"node": n})))
    if "clients" in faults:
        chosen.append(
            st.integers(0, CLIENTS - 1).map(lambda c: NodeStep("client-crash", {"client": c}))
        )
    if chosen:
        chosen.append(st.sampled_from([5, 20, 50]).map(lambda ms: NodeStep("wait", {"ms": ms})))
    return chosen


def number_messages(steps: Sequence[NodeStep]) -> list[NodeStep]:
    """Give the sends messages 1, 2, 3, … in order (unique per key, as the checker needs)."""
    out, counter = [], 0
    for step in steps:
        if step.kind == "send":
            counter += 1
            step = NodeStep("send", {**step.args, "msg": counter})
        out.append(step)
    return out


def step_lists(
    node_count: int, faults: Sequence[str] = DEFAULT_FAULTS, max_steps: int = 20
) -> st.SearchStrategy[list[NodeStep]]:
    """Step lists of `max_steps // 2` to `max_steps` steps: client operations and, in about
    one step in four, a chosen fault."""
    nodes = [f"n{i}" for i in range(node_count)]
    clients = _client_steps(nodes)
    fault_kinds = _fault_steps(nodes, faults)
    step = st.one_of(clients, clients, clients, *fault_kinds) if fault_kinds else clients
    return st.lists(step, min_size=max(1, max_steps // 2), max_size=max_steps).map(number_messages)


class _SearchDone(BaseException):
    """Ends the search at once. A BaseException, so Hypothesis neither takes it for a
    failing example (it would re-run it) nor goes on generating examples that do nothing
    (with a large budget that took minutes, and no Ctrl-C check ran meanwhile)."""


def _failing(run: NodeRun, target: set[str] | None) -> bool:
    return run.violation and (target is None or bool(set(run.verdict.anomaly_names) & target))


@dataclass
class Runner:
    """Runs step lists against one node command and counts what it did.

    With `prestart` the next run's nodes are launched while the current run goes on, so
    their start-up (the largest cost of a run: docs/nodes.md, "Benchmark") overlaps the
    current run's waiting. `close()` reaps that spare; `hunt` always calls it.
    """

    command: list[str]
    node_count: int
    seed: int = 0
    config: NodeConfig = SEARCH_CONFIG
    prestart: bool = True
    cwd: str | None = None
    #: checked before each run: True raises KeyboardInterrupt (interrupts.py)
    stop: Callable[[], bool] | None = None
    runs: int = 0
    steps_run: int = 0
    _spare: NodeTarget | None = None

    def _launched(self) -> NodeTarget:
        target = NodeTarget(
            self.command, self.node_count, seed=self.seed, config=self.config, cwd=self.cwd
        )
        target.interrupted = self.stop
        target.launch()
        return target

    def run(self, steps: Sequence[NodeStep]) -> NodeRun:
        if self.stop is not None and self.stop():
            raise KeyboardInterrupt
        self.runs += 1
        self.steps_run += len(steps)
        target, self._spare = self._spare or self._launched(), None
        with target:
            if self.prestart:
                self._spare = self._launched()
            return target.run(list(steps))

    def close(self) -> None:
        if self._spare is not None:
            self._spare.close()
            self._spare = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def minimize(
    runner: Runner,
    steps: Sequence[NodeStep],
    target: set[str],
    *,
    runs: int = 3,
    budget_s: float = 60.0,
) -> list[NodeStep]:
    """Delete chunks of steps (halving the chunk size) while the rest fails reliably:
    every one of `runs` re-runs must show one of the `target` anomalies."""
    best = list(steps)
    deadline = time.monotonic() + budget_s

    def reliable(candidate: list[NodeStep]) -> bool:
        return all(_failing(runner.run(candidate), target) for _ in range(runs))

    chunk = max(1, len(best) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        i, changed = 0, False
        while i < len(best) and time.monotonic() < deadline:
            candidate = number_messages(best[:i] + best[i + chunk :])
            if candidate and reliable(candidate):
                best, changed = candidate, True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return best


@dataclass
class HuntResult:
    command: list[str]
    node_count: int
    seed: int
    faults: tuple[str, ...]
    examples: int
    steps_run: int
    elapsed_s: float
    found: NodeRun | None = None
    detect_s: float | None = None  # from the start until the first failing run ended
    minimized: list[NodeStep] = field(default_factory=list)
    minimize_runs: int = 0
    reproduced: tuple[int, int] = (0, 0)
    #: the first re-run of the minimized steps that failed (what a report shows)
    minimized_run: NodeRun | None = None
    config: NodeConfig = SEARCH_CONFIG
    max_examples: int = 0
    max_steps: int = 0

    @property
    def violation(self) -> bool:
        return self.found is not None

    @property
    def anomalies(self) -> list[str]:
        """The anomalies of the first failing run (the minimized steps show one of them)."""
        return self.found.verdict.anomaly_names if self.found else []

    @property
    def minimized_anomalies(self) -> list[str]:
        """What the minimized steps showed when re-run (the first failing re-run)."""
        run = self.minimized_run or self.found
        return run.verdict.anomaly_names if run else []

    def to_json(self) -> dict[str, Any]:
        return {
            "target": {"command": self.command, "node_count": self.node_count},
            "result": "violation" if self.found else "clean",
            "anomalies": self.anomalies,
            "examples": self.examples,
            "steps": self.steps_run,
            "seed": self.seed,
            "faults": list(self.faults),
            "elapsed_s": round(self.elapsed_s, 3),
            "minimized_steps": [s.to_dict() for s in self.minimized],
            "reproduced": list(self.reproduced),
        }


def hunt(
    command: Sequence[str],
    node_count: int,
    *,
    faults: Sequence[str] = DEFAULT_FAULTS,
    max_examples: int = 50,
    max_steps: int = 20,
    seed: int = 0,
    config: NodeConfig = SEARCH_CONFIG,
    minimize_runs: int = 3,
    replay_runs: int = 10,
    minimize_budget_s: float = 60.0,
    on_example: Callable[[NodeRun], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> HuntResult:
    """Search until a violation (then minimize it and measure how often it reproduces) or
    `max_examples` step lists ran clean. A `NodeError` propagates (the node is broken).
    `minimize_runs=0` skips minimizing, `replay_runs=0` the reproduction count."""
    started = time.monotonic()
    with Runner(list(command), node_count, seed, config, stop=stop) as runner:
        return _hunt(
            runner,
            started,
            faults,
            max_examples,
            max_steps,
            minimize_runs,
            replay_runs,
            minimize_budget_s,
            on_example,
        )


def _hunt(
    runner: Runner,
    started: float,
    faults: Sequence[str],
    max_examples: int,
    max_steps: int,
    minimize_runs: int,
    replay_runs: int,
    minimize_budget_s: float,
    on_example: Callable[[NodeRun], None] | None,
) -> HuntResult:
    node_count, seed = runner.node_count, runner.seed
    found: list[NodeRun] = []
    detected: list[float] = []
    broken: list[NodeError] = []

    # Every setting that matters is explicit, so an ambient profile (the test suite's
    # derandomized one) cannot make the seed meaningless.
    @settings(
        max_examples=max_examples,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @hypothesis_seed(seed)
    @given(step_lists(node_count, faults, max_steps))
    def probe(steps: list[NodeStep]) -> None:
        try:
            run = runner.run(steps)
        except NodeError as exc:  # raised after the search: Hypothesis would re-run it
            broken.append(exc)
            raise _SearchDone from None
        if on_example is not None:
            on_example(run)
        if run.violation:
            found.append(run)
            detected.append(time.monotonic() - started)
            raise _SearchDone

    with contextlib.suppress(_SearchDone):
        probe()
    if broken:
        raise broken[0]
    examples = runner.runs
    result = HuntResult(
        list(runner.command), node_count, seed, tuple(faults), examples, runner.steps_run, 0.0
    )
    result.config, result.max_examples, result.max_steps = runner.config, max_examples, max_steps
    if found:
        result.found = found[0]
        result.detect_s = detected[0]
        target = set(found[0].verdict.anomaly_names)
        before = runner.runs
        result.minimized = list(found[0].steps)
        if minimize_runs:
            result.minimized = minimize(
                runner, found[0].steps, target, runs=minimize_runs, budget_s=minimize_budget_s
            )
        result.minimize_runs = runner.runs - before
        if replay_runs:
            failing: list[NodeRun] = []
            result.reproduced = replay(
                runner, result.minimized, target, runs=replay_runs, failing=failing
            )
            result.minimized_run = failing[0] if failing else None
    result.elapsed_s = time.monotonic() - started
    return result


def replay(
    runner: Runner,
    steps: Sequence[NodeStep],
    target: set[str] | None = None,
    runs: int = 10,
    *,
    failing: list[NodeRun] | None = None,
    on_run: Callable[[NodeRun], None] | None = None,
) -> tuple[int, int]:
    """(how many of `runs` re-runs failed with one of `target` -- any anomaly if None, runs).

    The failing runs are appended to `failing` when it is given (a report shows one)."""
    assert runs >= 0
    reproduced = 0
    for _ in range(runs):
        run = runner.run(steps)
        if on_run is not None:
            on_run(run)
        if _failing(run, target):
            reproduced += 1
            if failing is not None:
                failing.append(run)
    return reproduced, runs
