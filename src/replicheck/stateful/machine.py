"""The Hypothesis state machine that hammers one simulated cluster.

`make_machine(config, sink)` returns a `RuleBasedStateMachine` subclass bound to one
`ClusterConfig`. Every rule only *chooses* a `Step` (reading cluster state to aim faults
at the current leader, a live broker, an idle client) and hands it to the scenario
`Executor`; the executor is the same one `run_scenario` uses, so the recorded step list
is a complete, Hypothesis-free reproduction.

Search shaping, because flaws must be reachable in a handful of steps:
- swarm testing: each example enables a random subset of fault families (drawn in the
  `@initialize` rule), so some examples are "power loss only", others "partitions and
  preferred elections", and so on; Hypothesis adds its own per-rule swarm on top;
- faults are aimed: the leader of a partition is the first (and shrink-preferred) target;
- sends wait for their acknowledgement, so the next fault lands right after a write, when
  followers have not yet learned the new high watermark;
- tick sizes are derived from the configuration's fetch interval, replica lag limit and
  session timeout, so one tick is enough to make a follower fall out of the ISR or a dead
  broker's session expire.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from replicheck.impl import ClusterConfig
from replicheck.stateful.scenario import CLIENT_COUNT, Executor, RunResult, Step

# Fault families that the swarm switches on and off per example. Sends, polls and time
# passing are always enabled: they are what makes a fault matter.
FAULT_FAMILIES = (
    "crash",  # process crash + restart
    "power",  # power loss + restart
    "partition",  # network partitions + heal
    "network",  # message loss and delay
    "controller",  # controller failover
    "preferred",  # preferred-leader election
)

_LEADER_RE = re.compile(r"Partition:\s*(\d+)\s+Leader:\s*(\S+)")


@dataclass
class Sink:
    """Where a machine reports to the runner (same process): counters and failing runs.

    Hypothesis replays the shrunk example last, so `failures[-1]` is the minimal one.
    """

    on_example: Callable[[RunResult], None] | None = None
    failures: list[RunResult] = field(default_factory=list)
    last_steps: list[Step] = field(default_factory=list)
    examples: int = 0  # examples generated up to and including the first failing one
    shrink_runs: int = 0  # runs after that: the shrinker at work
    steps: int = 0
    faults: int = 0


def tick_sizes_ms(config: ClusterConfig) -> list[int]:
    """Tick sizes that matter for this configuration, smallest (shrink target) first."""
    fetch_ms = max(1, int(config.fetch_interval_ms))
    sizes = {
        fetch_ms,
        int(config.replica_lag_time_max_ms) + fetch_ms,
        int(config.session_timeout_ms) + fetch_ms,
    }
    return sorted(s for s in sizes if s > 0)


def leaders(executor: Executor) -> dict[int, int | None]:
    """Current leader per partition number, read from the public describe() lines."""
    result: dict[int, int | None] = {}
    for line in executor.cluster.describe():
        match = _LEADER_RE.search(line)
        if match:
            leader = match.group(2)  # a broker id, or "none" / "-1" while leaderless
            result[int(match.group(1))] = int(leader) if leader.isdigit() else None
    return result


def make_machine(config: ClusterConfig, sink: Sink) -> type[RuleBasedStateMachine]:
    """A state machine class for `config`, reporting runs to `sink`."""
    brokers = list(range(1, config.broker_count + 1))
    partitions = list(range(config.partition_count))
    clients = list(range(CLIENT_COUNT))
    nodes = [f"b{b}" for b in brokers] + [f"c{c}" for c in clients] + ["controller"]
    tick_sizes = tick_sizes_ms(config)

    class ReplicheckMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.executor: Executor | None = None
            self.families: frozenset[str] = frozenset()
            self.next_message = 1
            self.positions: dict[tuple[int, int], int] = {}
            self.partitioned = False
            self.failed_invariant = False

        # -- plumbing --------------------------------------------------------------------
        def _apply(self, step: Step, *, fault: bool = False) -> None:
            assert self.executor is not None
            self.executor.apply(step)
            sink.last_steps = self.executor.steps
            sink.steps += 1
            if fault:
                sink.faults += 1

        def _on(self, family: str) -> bool:
            return self.executor is not None and family in self.families

        def _live(self) -> list[int]:
            assert self.executor is not None
            return [b for b in brokers if b not in self.executor.down]

        def _targets(self, candidates: list[int]) -> list[int]:
            """Candidates with partition leaders first: the shrinker prefers index 0."""
            lead = [b for b in leaders(self.executor).values() if b in candidates]
            ordered = list(dict.fromkeys(lead))
            return ordered + [b for b in candidates if b not in ordered]

        def _idle(self, process: int) -> int | None:
            assert self.executor is not None
            cluster = self.executor.cluster
            for candidate in [process, *clients]:
                if cluster.is_idle(candidate):
                    return candidate
            return None

        # -- setup -----------------------------------------------------------------------
        @initialize(
            cluster_seed=st.integers(0, 2**16 - 1),
            families=st.sets(st.sampled_from(FAULT_FAMILIES), min_size=1),
        )
        def start(self, cluster_seed: int, families: set[str]) -> None:
            self.executor = Executor(config, cluster_seed)
            self.families = frozenset(families)

        # -- clients ---------------------------------------------------------------------
        @precondition(lambda self: self.executor is not None)
        @rule(
            process=st.sampled_from(clients),
            partition=st.sampled_from(partitions),
            wait=st.sampled_from([True, True, True, False]),
        )
        def send(self, process: int, partition: int, wait: bool) -> None:
            chosen = self._idle(process)
            if chosen is None:
                self._apply(Step("tick", {"ms": tick_sizes[0]}))
                return
            message = f"m{self.next_message}"
            self.next_message += 1
            self._apply(
                Step(
                    "send",
                    {"process": chosen, "partition": partition, "message": message, "wait": wait},
                )
            )

        @precondition(lambda self: self.executor is not None)
        @rule(
            process=st.sampled_from(clients),
            partition=st.sampled_from(partitions),
            from_start=st.booleans(),
        )
        def poll(self, process: int, partition: int, from_start: bool) -> None:
            chosen = self._idle(process)
            if chosen is None:
                self._apply(Step("tick", {"ms": tick_sizes[0]}))
                return
            offset = 0 if from_start else self.positions.get((chosen, partition), 0)
            assert self.executor is not None
            history_from = len(self.executor.cluster.history)
            self._apply(Step("poll", {"process": chosen, "partition": partition, "offset": offset}))
            for op in self.executor.cluster.history[history_from:]:
                if op["process"] == chosen and op["type"] == "ok" and op["f"] == "poll":
                    records = op.get("value") or []
                    if records:
                        self.positions[(chosen, partition)] = records[-1][0] + 1

        @precondition(lambda self: self.executor is not None)
        @rule(ms=st.sampled_from(tick_sizes))
        def tick(self, ms: int) -> None:
            self._apply(Step("tick", {"ms": ms}))

        # -- broker faults ---------------------------------------------------------------
        @precondition(lambda self: self._on("crash") and self._live())
        @rule(data=st.data())
        def crash(self, data: st.DataObject) -> None:
            broker = data.draw(st.sampled_from(self._targets(self._live())), label="broker")
            self._apply(Step("crash", {"broker": broker}), fault=True)

        @precondition(lambda self: self._on("power") and self._live())
        @rule(data=st.data())
        def power_loss(self, data: st.DataObject) -> None:
            broker = data.draw(st.sampled_from(self._targets(self._live())), label="broker")
            self._apply(Step("power-loss", {"broker": broker}), fault=True)

        @precondition(lambda self: self.executor is not None and bool(self.executor.down))
        @rule(data=st.data())
        def restart(self, data: st.DataObject) -> None:
            assert self.executor is not None
            broker = data.draw(st.sampled_from(sorted(self.executor.down)), label="broker")
            self._apply(Step("restart", {"broker": broker}), fault=True)

        # -- network ---------------------------------------------------------------------
        @precondition(lambda self: self._on("partition"))
        @rule(
            shape=st.sampled_from(["isolate-leader", "isolate-broker", "split", "controller"]),
            data=st.data(),
        )
        def partition(self, shape: str, data: st.DataObject) -> None:
            note = ""
            if shape in ("isolate-leader", "isolate-broker"):
                lead = leaders(self.executor)
                if shape == "isolate-leader" and any(b is not None for b in lead.values()):
                    part = data.draw(
                        st.sampled_from([p for p, b in sorted(lead.items()) if b is not None]),
                        label="partition",
                    )
                    broker = lead[part]
                    note = f"isolates broker {broker}, leader of {config.topic}-{part}"
                else:
                    broker = data.draw(st.sampled_from(self._targets(brokers)), label="broker")
                    note = f"isolates broker {broker}"
                side = [f"b{broker}"]
            elif shape == "controller":
                side = ["controller"]
                note = "cuts the controller off"
            else:
                side = sorted(
                    data.draw(
                        st.sets(st.sampled_from(nodes), min_size=1, max_size=len(nodes) - 1),
                        label="side",
                    )
                )
            rest = [n for n in nodes if n not in side]
            args: dict = {"groups": [side, rest]}
            if note:
                args["note"] = note
            self.partitioned = True
            self._apply(Step("partition", args), fault=True)

        @precondition(lambda self: self.executor is not None and self.partitioned)
        @rule()
        def heal(self) -> None:
            self.partitioned = False
            self._apply(Step("heal", {}), fault=True)

        @precondition(lambda self: self._on("network"))
        @rule(
            loss=st.sampled_from([0.0, 0.2, 0.5]),
            delay=st.sampled_from(["none", "jitter", "slow"]),
        )
        def message_faults(self, loss: float, delay: str) -> None:
            base_ms = int(config.network_delay_ms)
            fetch_ms = max(1, int(config.fetch_interval_ms))
            lo, hi = {
                "none": (base_ms, base_ms),
                "jitter": (base_ms, base_ms + fetch_ms),
                "slow": (base_ms + fetch_ms, base_ms + 4 * fetch_ms),
            }[delay]
            self._apply(
                Step("message-faults", {"loss": loss, "delay_lo_ms": lo, "delay_hi_ms": hi}),
                fault=True,
            )

        # -- controller ------------------------------------------------------------------
        @precondition(lambda self: self._on("controller"))
        @rule()
        def controller_failover(self) -> None:
            self._apply(Step("controller-failover", {}), fault=True)

        @precondition(lambda self: self._on("preferred"))
        @rule()
        def elect_preferred(self) -> None:
            self._apply(Step("elect-preferred", {}), fault=True)

        # -- checks ----------------------------------------------------------------------
        @invariant()
        def replica_invariants_hold(self) -> None:
            if self.executor is None or not self.executor.last_violations:
                return
            self.failed_invariant = True
            number = len(self.executor.steps)
            raise AssertionError(
                f"replica invariant violated after step {number}: "
                + "; ".join(self.executor.last_violations)
            )

        def teardown(self) -> None:
            if self.executor is None:
                return
            result = self.executor.finish()
            if sink.failures:
                sink.shrink_runs += 1  # after the first failure, every run is the shrinker's
            else:
                sink.examples += 1
            if sink.on_example is not None:
                sink.on_example(result)
            if result.violation:
                sink.failures.append(result)
                if not self.failed_invariant:
                    raise AssertionError("replicheck found a violation\n" + result.story())

    ReplicheckMachine.__name__ = "ReplicheckMachine"
    return ReplicheckMachine
