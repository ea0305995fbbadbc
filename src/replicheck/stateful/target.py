"""The target seam: a system under test that takes steps and yields a history.

The campaign never talks to a cluster directly. The scenario `Executor` hands each step to
a `Target` and records what came back; at the end the target tears down (heals, restarts,
reads every partition) and the executor judges the history. `ClusterTarget`, the
simulated reference cluster, is the first implementation; a second system (external
Maelstrom nodes, say) is a new module implementing `Target` with its own step vocabulary.

What a target promises (docs/internals.md, "The target seam"):

- `history` grows by Jepsen-shaped client operations (`invoke` / `ok` / `fail` / `info`
  with `process`, `f`, `key`, `value`, …); `events` by timeline events (`time_ms`, `kind`).
  Both only grow, so the executor reads each step's share by index.
- `apply(step)` runs one step to completion (a send waits for its answer up to the step's
  bound) and returns the outcome's head: `ok`, `skipped: …`, `fail NOT_LEADER`, ….
- `snapshot()` is the state a reader wants after a fault (kafka-topics lines);
  `invariant_violations()` what is broken *now* (read-only: calling it changes nothing).
- `teardown(process)` ends the run: heal every fault, bring everything back, let the
  system converge, read everything with client `process`. It is called once.
- Deterministic targets replay a step list byte for byte from the same seed; a target
  that is not (real processes) says so in its own documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from replicheck.impl import Cluster, ClusterConfig
from replicheck.impl.describe import PartitionStatus
from replicheck.impl.messages import Entry
from replicheck.stateful.steps import VOCABULARY, Step, Vocabulary

StepT_contra = TypeVar("StepT_contra", contravariant=True)


@dataclass(frozen=True)
class Teardown:
    """What a target reports once the run is over (after the final read)."""

    #: partition key → broker → the replica's log as (leader epoch, message[, producer]) per offset
    replica_logs: dict[str, dict[int, list[Entry]]] = field(default_factory=dict)
    #: evidence that the system did not converge within its bound (empty if it did)
    liveness_violations: list[str] = field(default_factory=list)
    convergence_ms: int | None = None
    convergence_bound_ms: int | None = None


class Target(Protocol[StepT_contra]):
    """A system under test that takes steps and yields a history (see the module doc)."""

    @property
    def history(self) -> Sequence[Mapping[str, Any]]: ...

    @property
    def events(self) -> Sequence[Mapping[str, Any]]: ...

    def apply(self, step: StepT_contra) -> str: ...

    def is_fault(self, step: StepT_contra) -> bool: ...

    def client_of(self, step: StepT_contra) -> int | None: ...

    def snapshot(self) -> list[str]: ...

    def invariant_violations(self) -> list[str]: ...

    def describe_event(self, event: Mapping[str, Any]) -> str | None: ...

    def advance_until(self, done: Callable[[], bool], max_ms: int) -> int: ...

    def teardown(self, process: int) -> Teardown: ...


def render_event(event: Mapping[str, Any]) -> str | None:
    """A cluster event worth a note in a step's outcome (leadership, truncation, data lost)."""
    kind = event.get("kind")
    if kind == "leader":
        isr = event.get("isr") or []
        leader = event.get("leader")
        who = "no leader" if leader in (None, -1) else f"leader {leader}"
        return (
            f"{event.get('partition')}: {who} (epoch {event.get('leader_epoch')}, "
            f"ISR {','.join(str(b) for b in isr) or 'empty'})"
        )
    if kind == "truncate":
        return (
            f"broker {event.get('broker')} truncates {event.get('partition')} "
            f"to offset {event.get('offset')}"
        )
    if kind in ("power-loss", "replace-disk"):
        lost = event.get("lost") or {}
        parts = [f"{n} of {p}" for p, n in sorted(lost.items()) if n]
        return f"broker {event.get('broker')} lost {', '.join(parts)}" if parts else None
    if kind == "controller-failover":
        return f"controller epoch {event.get('controller_epoch')}"
    return None


class ClusterTarget:
    """The reference target: one deterministic simulated `Cluster`, driven by `STEPS`.

    Besides the `Target` protocol it offers the read-only views the campaign aims faults
    with (`partition_state`, `live_brokers`, `replica_logs`, `is_idle`)."""

    vocabulary: Vocabulary = VOCABULARY

    def __init__(self, config: ClusterConfig, seed: int) -> None:
        self.config = config
        self.cluster = Cluster(config, seed=seed)
        self.cluster.watch_invariants()

    # -- the Target protocol -------------------------------------------------------------
    @property
    def history(self) -> list[dict[str, Any]]:
        return self.cluster.history

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.cluster.events

    def apply(self, step: Step) -> str:
        return self.vocabulary[step.kind].apply(self.cluster, step.args)

    def is_fault(self, step: Step) -> bool:
        return self.vocabulary[step.kind].fault

    def client_of(self, step: Step) -> int | None:
        if not self.vocabulary[step.kind].client:
            return None
        process = step.args["process"]
        assert isinstance(process, int)
        return process

    def snapshot(self) -> list[str]:
        return self.cluster.describe()

    def invariant_violations(self) -> list[str]:
        return self.cluster.invariant_violations()

    def describe_event(self, event: Mapping[str, Any]) -> str | None:
        return render_event(event)

    def advance_until(self, done: Callable[[], bool], max_ms: int) -> int:
        return self.cluster.run_until(done, max_ms)

    def teardown(self, process: int) -> Teardown:
        cluster = self.cluster
        # final_read heals, clears message faults and restarts every broker itself.
        cluster.final_read(process)
        keys = [self.config.partition_key(p) for p in range(self.config.partition_count)]
        return Teardown(
            replica_logs={key: cluster.replica_logs(key) for key in keys},
            liveness_violations=list(cluster.liveness_violations),
            convergence_ms=cluster.convergence_ms,
            convergence_bound_ms=cluster.convergence_bound_ms,
        )

    # -- views for aiming (read-only) ----------------------------------------------------
    def partition_state(self, index: int) -> PartitionStatus:
        return self.cluster.partition_state(index)

    def live_brokers(self) -> list[int]:
        return [b for b in self.cluster.broker_ids if self.cluster.is_live(b)]

    def down_brokers(self) -> list[int]:
        return [b for b in self.cluster.broker_ids if not self.cluster.is_live(b)]

    def is_idle(self, process: int) -> bool:
        return self.cluster.is_idle(process)
