"""Scenarios: the step lists that Hypothesis generates, shrinks, prints and replays.

A `Step` is plain data (kind + JSON-ready args). `Executor` applies steps to one `Cluster`;
both the Hypothesis state machine and `run_scenario` drive the *same* executor, so replaying
a saved step list without Hypothesis reproduces the campaign's history byte for byte.

Send and poll steps wait (in simulated time, 1 ms at a time) until the client's operation
completes, bounded by the request timeout: a scenario then reads as a sequence of
acknowledged or failed operations, and the moment right after an acknowledgement -- when
followers may not yet know the new high watermark -- is exactly where the next fault lands.
A send with `wait: false` leaves the write in flight so that faults can hit it mid-flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from replicheck.checker.log_anomalies import LogVerdict, check_log
from replicheck.impl import Cluster, ClusterConfig

# Client processes that the campaign drives (history `process` 0..CLIENT_COUNT-1); the final
# read after healing is done by one more, fresh process so its ops never interleave.
CLIENT_COUNT = 3
FINAL_READ_PROCESS = CLIENT_COUNT

# How long the campaign's sends and polls wait for completion (their `wait_ms` arg), in
# fetch intervals. A healthy cluster answers within two or three; when replication is
# impaired the step gives up waiting long before the request timeout, leaving the write in
# flight -- on the leader but not yet acknowledged -- which is exactly the state a failover
# must handle.
WAIT_FETCH_INTERVALS = 4
# The anomaly name of a run whose cluster did not converge after teardown (impl/liveness.py).
LIVENESS = "liveness"
# Steps without `wait_ms` (older case files) wait until the request timeout has certainly
# fired: request_timeout_ms plus this slack.
WAIT_SLACK_MS = 50


def allowed_anomalies(config: ClusterConfig) -> frozenset[str]:
    """Anomalies the configuration's own guarantees permit, so they are not violations.

    A producer that retries without idempotence is at-least-once: when an answer is lost
    after the append (a leader killed or cut off from the client), the retry writes the
    record again and Kafka promises nothing better (KIP-98 exists to fix exactly that). The
    log checker still reports the `duplicate`; only the verdict on the configuration
    ignores it. Every other anomaly -- a lost acknowledged write, two records at one
    offset -- stays a violation: retries never excuse those.
    """
    return frozenset({"duplicate"}) if getattr(config, "at_least_once", False) else frozenset()


def campaign_wait_ms(config: ClusterConfig) -> int:
    """The `wait_ms` the campaign puts on its sends and polls."""
    return min(config.request_timeout_ms, WAIT_FETCH_INTERVALS * config.fetch_interval_ms)

STEP_KINDS = (
    "send",
    "poll",
    "tick",
    "crash",
    "power-loss",
    "replace-disk",
    "restart",
    "partition",
    "heal",
    "message-faults",
    "controller-failover",
    "elect-preferred",
)
# Steps after which a describe snapshot is taken (they change who leads or who can talk).
FAULT_KINDS = frozenset(STEP_KINDS) - {"send", "poll", "tick"}


@dataclass(frozen=True)
class Step:
    """One thing that happens to the cluster: a client op, a fault, or time passing."""

    kind: str
    args: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.kind in STEP_KINDS, f"unknown step kind {self.kind!r}"
        assert isinstance(self.args, dict)

    def describe(self, topic: str = "orders") -> str:
        """The step as a line of a Kafka incident report."""
        return describe_step(self, topic)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "args": dict(self.args)}

    @staticmethod
    def from_dict(data: dict) -> Step:
        return Step(kind=data["kind"], args=dict(data.get("args", {})))

    def __repr__(self) -> str:  # Hypothesis prints machine state; keep it readable
        return f"Step({self.describe()!r})"


def _node_sort_key(node: str) -> tuple[int, int, str]:
    if node.startswith("b") and node[1:].isdigit():
        return (0, int(node[1:]), node)
    if node.startswith("c") and node[1:].isdigit():
        return (1, int(node[1:]), node)
    return (2, 0, node)


def format_groups(groups: Iterable[Iterable[str]]) -> str:
    """`{b1, c0} | {b2, b3, controller}`."""
    parts = []
    for group in groups:
        parts.append("{" + ", ".join(sorted(group, key=_node_sort_key)) + "}")
    return " | ".join(parts)


def describe_step(step: Step, topic: str = "orders") -> str:
    """Human wording for every step kind (the user interface of a failure)."""
    a = step.args
    kind = step.kind
    if kind == "send":
        key = f"{topic}-{a['partition']}"
        if a.get("wait", True):
            return f"client {a['process']} sends {a['message']} to {key}"
        return f"client {a['process']} starts sending {a['message']} to {key} (does not wait)"
    if kind == "poll":
        key = f"{topic}-{a['partition']}"
        return f"client {a['process']} polls {key} from offset {a['offset']}"
    if kind == "tick":
        return f"time passes {a['ms']} ms"
    if kind == "crash":
        return f"broker {a['broker']} crashes (process killed; page cache survives)"
    if kind == "power-loss":
        return f"broker {a['broker']} loses power (unflushed writes are gone)"
    if kind == "replace-disk":
        return f"broker {a['broker']} stops and its disk is replaced (empty logs)"
    if kind == "restart":
        return f"broker {a['broker']} restarts"
    if kind == "partition":
        text = f"network splits {format_groups(a['groups'])}"
        if a.get("note"):
            text += f" ({a['note']})"
        return text
    if kind == "heal":
        return "network heals"
    if kind == "message-faults":
        loss = float(a["loss"])
        lo, hi = a["delay_lo_ms"], a["delay_hi_ms"]
        delay = f"{lo} ms" if lo == hi else f"{lo}–{hi} ms"
        if loss == 0:
            return f"network stops dropping messages; delay {delay}"
        return f"network drops {loss:.0%} of messages; delay {delay}"
    if kind == "controller-failover":
        return "controller fails over (a new controller takes over)"
    if kind == "elect-preferred":
        return "preferred-leader election runs"
    raise AssertionError(f"unreachable: {kind}")


@dataclass
class RunResult:
    """Everything one scenario run produced: what report/ renders and replay compares."""

    config: ClusterConfig
    seed: int
    steps: list[Step]
    history: list[dict]
    events: list[dict]
    describe_snapshots: list[tuple[int, list[str]]]
    step_outcomes: list[str]
    invariant_violations: list[tuple[int, str]]
    log_verdict: LogVerdict
    replica_logs: dict[str, dict[int, list[tuple[int, str]]]]
    # Liveness (impl/liveness.py): evidence when the cluster did not converge after teardown
    # within its bound; how long convergence took otherwise, and the bound.
    liveness_violations: list[str] = field(default_factory=list)
    convergence_ms: int | None = None
    convergence_bound_ms: int | None = None

    @property
    def violation(self) -> bool:
        """True when the log checker found an anomaly, a replica invariant failed, or the
        cluster did not converge after teardown (liveness)."""
        judged = set(self.log_verdict.anomalies) - allowed_anomalies(self.config)
        return bool(self.invariant_violations) or bool(self.liveness_violations) or bool(judged)

    @property
    def anomaly_names(self) -> list[str]:
        """Sorted anomaly names; replica invariant failures count as `replica-invariant`,
        a cluster that does not converge as `liveness`."""
        names = set(self.log_verdict.anomalies) - allowed_anomalies(self.config)
        if self.invariant_violations:
            names.add("replica-invariant")
        if self.liveness_violations:
            names.add(LIVENESS)
        return sorted(names)

    @property
    def flaw(self) -> str | None:
        """The single zoo flaw this configuration carries, if exactly one."""
        flaws = sorted(getattr(self.config, "flaws", ()) or ())
        return flaws[0] if len(flaws) == 1 else None

    def step_lines(self) -> list[str]:
        """Numbered steps with their outcomes: `3. broker 2 loses power → ...`."""
        topic = self.config.topic
        lines = []
        for number, (step, outcome) in enumerate(
            zip(self.steps, self.step_outcomes, strict=True), start=1
        ):
            lines.append(f"{number:>3}. {step.describe(topic)}  {outcome}")
        return lines

    def story(self) -> str:
        """The failing scenario and its evidence, as plain text (used in error messages)."""
        lines = [f"scenario ({len(self.steps)} steps, seed {self.seed}):"]
        lines.extend(self.step_lines())
        lines.append("  then: network heals, every broker restarts, final read of every partition")
        for number, text in self.invariant_violations:
            lines.append(f"replica invariant violated after step {number}: {text}")
        lines.extend(f"liveness: {text}" for text in self.liveness_violations)
        if not self.log_verdict.valid:
            lines.append(self.log_verdict.render_text())
        return "\n".join(lines)


def _partition_key(config: ClusterConfig, partition: int) -> str:
    return f"{config.topic}-{partition}"


def _render_records(records: Sequence[Sequence[Any]], limit: int = 6) -> str:
    shown = ", ".join(f"{message}@{offset}" for offset, message in records[:limit])
    if len(records) > limit:
        shown += f", … ({len(records)} records)"
    return shown or "nothing"


def _render_completion(op: dict) -> str:
    if op["type"] == "ok":
        if op["f"] == "send":
            return f"ok at offset {op.get('offset')}"
        return f"ok: {_render_records(op.get('value') or [])}"
    if op["type"] == "fail":
        return f"fail {op.get('error', '')}".rstrip()
    return f"info {op.get('error', '')} (outcome unknown)".rstrip()


def _render_event(event: dict) -> str | None:
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


class Executor:
    """Applies steps to one cluster and records what each did.

    The Hypothesis machine and `run_scenario` both go through `apply` and `finish`, which is
    what makes a printed scenario an exact, Hypothesis-free reproduction.
    """

    def __init__(self, config: ClusterConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        self.cluster = Cluster(config, seed=seed)
        self.steps: list[Step] = []
        self.step_outcomes: list[str] = []
        self.describe_snapshots: list[tuple[int, list[str]]] = [(0, self.cluster.describe())]
        self.invariant_violations: list[tuple[int, str]] = []
        self.last_violations: list[str] = []
        self.down: set[int] = set()  # brokers crashed or powered off and not restarted
        self._default_wait_ms = config.request_timeout_ms + WAIT_SLACK_MS
        self._finished: RunResult | None = None

    # -- helpers -----------------------------------------------------------------------
    @property
    def brokers(self) -> list[int]:
        return list(range(1, self.config.broker_count + 1))

    def _await_idle(self, process: int, bound_ms: int) -> bool:
        waited_ms = 0
        while not self.cluster.is_idle(process) and waited_ms < bound_ms:
            self.cluster.tick(1)
            waited_ms += 1
        return self.cluster.is_idle(process)

    def _completion_of(self, process: int, since_index: int) -> dict | None:
        for op in reversed(self.cluster.history[since_index:]):
            if op["process"] == process and op["type"] != "invoke":
                return op
        return None

    def _side_effects(self, history_from: int, events_from: int, own: int | None) -> list[str]:
        notes = []
        for op in self.cluster.history[history_from:]:
            if op["type"] != "invoke" and op["process"] != own:
                what = op.get("value") if op["f"] == "send" else f"poll of {op['key']}"
                notes.append(f"client {op['process']}'s {what}: {_render_completion(op)}")
        for event in self.cluster.events[events_from:]:
            text = _render_event(event)
            if text:
                notes.append(text)
        return notes

    # -- the one entry point -----------------------------------------------------------
    def apply(self, step: Step) -> str:
        """Run one step; return (and record) its outcome."""
        assert self._finished is None, "scenario already finished"
        cluster = self.cluster
        history_from = len(cluster.history)
        events_from = len(cluster.events)
        own: int | None = None
        head = "ok"
        a = step.args
        kind = step.kind
        if kind in ("send", "poll"):
            own = a["process"]
            if not cluster.is_idle(own):
                head = f"skipped: client {own} is busy"
            else:
                key = _partition_key(self.config, a["partition"])
                if kind == "send":
                    cluster.send(own, key, a["message"])
                else:
                    cluster.poll(own, key, a["offset"])
                bound_ms = int(a.get("wait_ms", self._default_wait_ms))
                if a.get("wait", True) and not self._await_idle(own, bound_ms):
                    head = f"still in flight after {bound_ms} ms"
                op = self._completion_of(own, history_from)
                if op is not None:
                    head = _render_completion(op)
                elif head == "ok":
                    head = "in flight"
        elif kind == "tick":
            assert a["ms"] > 0
            cluster.tick(a["ms"])
        elif kind == "crash":
            broker = a["broker"]
            if broker in self.down:
                head = f"skipped: broker {broker} is already down"
            else:
                cluster.crash(broker)
                self.down.add(broker)
        elif kind == "power-loss":  # also valid for a crashed broker: its page cache goes
            cluster.power_loss(a["broker"])
            self.down.add(a["broker"])
        elif kind == "replace-disk":  # like a power loss, and fsynced data goes too
            cluster.replace_disk(a["broker"])
            self.down.add(a["broker"])
        elif kind == "restart":
            broker = a["broker"]
            if broker not in self.down:
                head = f"skipped: broker {broker} is running"
            else:
                cluster.restart(broker)
                self.down.discard(broker)
        elif kind == "partition":
            cluster.partition([list(g) for g in a["groups"]])
        elif kind == "heal":
            cluster.heal()
        elif kind == "message-faults":
            cluster.set_message_loss(float(a["loss"]))
            cluster.set_message_delay_ms(a["delay_lo_ms"], a["delay_hi_ms"])
        elif kind == "controller-failover":
            cluster.controller_failover()
        elif kind == "elect-preferred":
            cluster.elect_preferred_leaders()
        else:  # pragma: no cover - Step.__post_init__ rejects unknown kinds
            raise AssertionError(kind)

        return self._record(step, head, history_from, events_from, own)

    def tick_until(self, done: Callable[[Cluster], bool], max_ms: int) -> Step:
        """Advance time 1 ms at a time until `done(cluster)` (at most `max_ms`), recorded as
        one plain `tick` step of the elapsed time. `done` must only read the cluster.

        The campaign uses it to end a tick exactly at a protocol moment (an ISR change in
        flight, say). Processing the event queue up to t in 1 ms slices or at once is the
        same, so replaying the recorded `tick` reproduces this run exactly."""
        assert self._finished is None, "scenario already finished"
        assert max_ms > 0
        cluster = self.cluster
        history_from = len(cluster.history)
        events_from = len(cluster.events)
        waited_ms = 0
        while waited_ms < max_ms:
            cluster.tick(1)
            waited_ms += 1
            if done(cluster):
                break
        step = Step("tick", {"ms": waited_ms})
        self._record(step, "ok", history_from, events_from, None)
        return step

    def _record(self, step: Step, head: str, history_from: int, events_from: int,
                own: int | None) -> str:
        cluster = self.cluster
        kind = step.kind
        self.steps.append(step)
        number = len(self.steps)
        notes = self._side_effects(history_from, events_from, own)
        outcome = "→ " + "; ".join([head, *notes])
        self.step_outcomes.append(outcome)
        if kind in FAULT_KINDS:
            self.describe_snapshots.append((number, cluster.describe()))
        self._check_invariants(number)
        return outcome

    def _check_invariants(self, number: int) -> None:
        self.last_violations = list(self.cluster.invariant_violations())
        recorded = {text for _, text in self.invariant_violations}
        for text in self.last_violations:
            if text not in recorded:
                self.invariant_violations.append((number, text))

    def finish(self) -> RunResult:
        """Final read after healing, then the log checker. Idempotent."""
        if self._finished is not None:
            return self._finished
        cluster = self.cluster
        # final_read heals, clears message faults and restarts every broker itself.
        cluster.final_read(FINAL_READ_PROCESS)
        self.down.clear()
        end = len(self.steps) + 1
        self.describe_snapshots.append((end, cluster.describe()))
        self._check_invariants(end)
        history = [dict(op) for op in cluster.history]
        verdict = check_log(history)
        keys = [_partition_key(self.config, p) for p in range(self.config.partition_count)]
        self._finished = RunResult(
            config=self.config,
            seed=self.seed,
            steps=list(self.steps),
            history=history,
            events=[dict(e) for e in cluster.events],
            describe_snapshots=list(self.describe_snapshots),
            step_outcomes=list(self.step_outcomes),
            invariant_violations=list(self.invariant_violations),
            log_verdict=verdict,
            replica_logs={key: cluster.replica_logs(key) for key in keys},
            liveness_violations=list(cluster.liveness_violations),
            convergence_ms=cluster.convergence_ms,
            convergence_bound_ms=cluster.convergence_bound_ms,
        )
        return self._finished


def run_scenario(config: ClusterConfig, seed: int, steps: Sequence[Step]) -> RunResult:
    """Replay a step list on a fresh cluster (no Hypothesis): same inputs, same history."""
    executor = Executor(config, seed)
    for step in steps:
        executor.apply(step if isinstance(step, Step) else Step.from_dict(step))
    return executor.finish()
