"""The node target behind the campaign's target seam (`replicheck.stateful.target.Target`).

`NodeSeamTarget` is `NodeTarget` seen through the seam's protocol: it takes `NodeStep`s
and yields a history (the kafka workload's, in replicheck's log format) and timeline
events (one per message the network carried). It adds nothing to the harness; it maps:

| the seam | here |
|---|---|
| `history` | the client operations, as `NodeRun.history` (plus commits and listings) |
| `events` | one `{"time_ms", "kind": "message", ...}` per message (the router's log) |
| `apply(step)` | `NodeTarget.step`, the outcome's head without the arrow |
| `is_fault` / `client_of` | fault kinds; the client slot's *current* history process |
| `snapshot()` | each node's process state, the network's faults, the clients |
| `invariant_violations()` | always empty: a black box has no replica state to read |
| `describe_event` | dropped messages ("n1 → n2 `replicate` dropped (partition)") |
| `advance_until` | real time passes, the network runs, until `done()` or the bound |
| `teardown(process)` | heal, resume, final read by `process`, reap every node |

Not deterministic (docs/nodes.md, "Non-determinism"): the same steps and seed give the same
decisions by replicheck, not the same history. The processes start in `__init__` and are
reaped by `teardown` or `close` (also `with`), whichever comes first.

`run_steps` drives it with the campaign's own `StepExecutor`, so a node run yields the same
`RunResult` (story, describe snapshots after faults, log verdict) as a reference-cluster
run. The committed-offsets verdict, which `RunResult` does not carry, is `node_verdict`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from replicheck.impl import ClusterConfig
from replicheck.nodes.runtime import NodeConfig
from replicheck.nodes.steps import CLIENT_KINDS, FAULT_KINDS, NodeStep
from replicheck.nodes.target import NodeTarget
from replicheck.nodes.verdict import NodeVerdict, check_run
from replicheck.stateful.result import RunResult
from replicheck.stateful.scenario import StepExecutor
from replicheck.stateful.target import Target, Teardown

ARROW = "→ "


class NodeSeamTarget:
    """N node processes as a seam `Target[NodeStep]` (see the module docstring)."""

    def __init__(
        self,
        command: Sequence[str],
        node_count: int = 1,
        *,
        seed: int = 0,
        config: NodeConfig | None = None,
        cwd: str | None = None,
    ) -> None:
        self.nodes = NodeTarget(command, node_count, seed=seed, config=config, cwd=cwd)
        self.nodes.start()  # reaps what it started if init fails
        self._events: list[dict[str, Any]] = []
        self.final_read_complete: dict[str, bool] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill and reap every node process (idempotent)."""
        self.nodes.close()

    # -- the Target protocol ---------------------------------------------------------------
    @property
    def history(self) -> list[dict[str, Any]]:
        return self.nodes.history.ops

    @property
    def events(self) -> list[dict[str, Any]]:
        """Grows with the message log; each message is recorded as it was sent."""
        log = self.nodes.router.log
        for record in log[len(self._events) :]:
            self._events.append({"time_ms": record.sent_ms, "kind": "message", **record.to_dict()})
        return self._events

    def apply(self, step: NodeStep) -> str:
        outcome = self.nodes.step(step)
        return outcome.removeprefix(ARROW)

    def is_fault(self, step: NodeStep) -> bool:
        return step.kind in FAULT_KINDS

    def client_of(self, step: NodeStep) -> int | None:
        if step.kind not in CLIENT_KINDS:
            return None
        slot = step.args["client"]
        assert isinstance(slot, int)
        return self.nodes.client_process(slot)

    def snapshot(self) -> list[str]:
        return self.nodes.describe_state()

    def invariant_violations(self) -> list[str]:
        return []

    def describe_event(self, event: Mapping[str, Any]) -> str | None:
        fate = str(event.get("fate", "sent"))
        if event.get("kind") != "message" or not fate.startswith("dropped"):
            return None
        why = fate.removeprefix("dropped: ")
        return f"{event['src']} → {event['dest']} `{event['type']}` dropped ({why})"

    def advance_until(self, done: Callable[[], bool], max_ms: int) -> int:
        assert max_ms >= 0
        started_ms = self.nodes.now_ms()
        self.nodes.run_network(started_ms + max_ms, done)
        return round(self.nodes.now_ms() - started_ms)

    def teardown(self, process: int) -> Teardown:
        try:
            self.final_read_complete = self.nodes.final_read(process)
        finally:
            self.close()
        incomplete = [k for k, done in sorted(self.final_read_complete.items()) if not done]
        return Teardown(
            liveness_violations=[
                f"final read of {key} could not reach the end of its log" for key in incomplete
            ]
        )


def _conforms(target: NodeSeamTarget) -> Target[NodeStep]:
    """mypy checks here that the class implements the seam's protocol."""
    return target


#: what `StepExecutor` judges a node run's history against: the reference configuration's
#: guarantees (no at-least-once retries, so a `duplicate` is a violation, as for nodes)
EXECUTOR_CONFIG = ClusterConfig()


def run_steps(
    command: Sequence[str],
    node_count: int,
    steps: Sequence[NodeStep],
    *,
    seed: int = 0,
    config: NodeConfig | None = None,
    cwd: str | None = None,
) -> RunResult:
    """Run `steps` through the campaign's `StepExecutor`; every process is reaped."""
    with NodeSeamTarget(command, node_count, seed=seed, config=config, cwd=cwd) as target:
        executor: StepExecutor[NodeStep] = StepExecutor(EXECUTOR_CONFIG, seed, target)
        for step in steps:
            executor.apply(step)
        return executor.finish()


def node_verdict(result: RunResult) -> NodeVerdict:
    """The node verdict (log checker and committed offsets) of a run's history."""
    return check_run([dict(op) for op in result.history])
