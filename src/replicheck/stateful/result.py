"""One scenario run's facts: `RunResult`, the names of its violations, and its story.

Everything that judges or tells a finished run reads it from here: the campaign (is this a
violation? which kinds?), the minimizer (the same kinds again?), case files (what to
expect on replay), `hunt`, `replay`, the pytest plugin and the report folder. Keeping the
names and the story in one module means a new violation kind, or a new sentence in the
story, is one edit that every output picks up.

This module imports neither the step table nor `report/`: the run is plain data, so any
layer can hold one without pulling in the simulation or the renderers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from replicheck.checker.log_anomalies import LogVerdict
    from replicheck.impl import ClusterConfig

#: Violation name of a run whose replicas broke an internal replication invariant
#: (impl/invariants.py) whether or not the log checker flagged the history.
REPLICA_INVARIANT = "replica-invariant"
#: Violation name of a run whose cluster did not converge after teardown (impl/liveness.py).
LIVENESS = "liveness"
#: The names that are not log-checker anomaly kinds, in the order they follow those kinds.
RUN_VIOLATION_NAMES = (REPLICA_INVARIANT, LIVENESS)

REPLICA_INVARIANT_MEANING = "the replicas' internal state broke a replication invariant"
LIVENESS_MEANING = (
    "after healing and restarting every broker the cluster did not converge "
    "within its bound (a partition stays unavailable or under-replicated)"
)

#: What every scenario does after its last step (`Cluster.final_read`), as the story says it.
TEARDOWN_LINE = "     then: network heals, every broker restarts, final read of every partition"


class RunStep(Protocol):
    """What a run needs of a step: its kind, its arguments and its wording.

    A protocol rather than the step class itself, so that this module does not depend on
    the step table (and a second target's steps can be told the same way).
    """

    @property
    def kind(self) -> str: ...

    @property
    def args(self) -> Mapping[str, Any]: ...

    def describe(self, topic: str = ...) -> str: ...


def allowed_anomalies(config: ClusterConfig) -> frozenset[str]:
    """Anomalies the configuration's own guarantees permit, so they are not violations.

    A producer that retries without idempotence is at-least-once: when an answer is lost
    after the append (a leader killed or cut off from the client), the retry writes the
    record again and Kafka promises nothing better (KIP-98 exists to fix exactly that). The
    log checker still reports the `duplicate`; only the verdict on the configuration
    ignores it. Every other anomaly -- a lost acknowledged write, two records at one
    offset -- stays a violation: retries never excuse those.
    """
    return frozenset({"duplicate"}) if config.at_least_once else frozenset()


@dataclass(frozen=True)
class StepLine:
    """One numbered step of the story with its outcome."""

    number: int
    kind: str
    text: str  # "client 1 sends m3 to orders-0"
    outcome: str  # "→ ok at offset 2"

    def render(self) -> str:
        return f"{self.number:>3}. {self.text}  {self.outcome}".rstrip()


#: StoryLine kinds, in the order they appear
STORY_KINDS = ("step", "teardown", REPLICA_INVARIANT, LIVENESS, "blank", "verdict")


@dataclass(frozen=True)
class StoryLine:
    """One line (the checker's verdict: one block) of the story, with what it is, so a
    terminal can colour the violations and plain text can ignore the kinds."""

    kind: str  # one of STORY_KINDS
    text: str

    def __post_init__(self) -> None:
        assert self.kind in STORY_KINDS, f"unknown story line kind {self.kind!r}"

    @property
    def is_violation(self) -> bool:
        return self.kind in RUN_VIOLATION_NAMES


@dataclass
class RunResult:
    """Everything one scenario run produced: what report/ renders and replay compares."""

    config: ClusterConfig
    seed: int
    steps: list[RunStep]
    history: list[dict[str, Any]]
    events: list[dict[str, Any]]
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

    @classmethod
    def adopt(cls, run: object) -> RunResult:
        """`run` as this class: itself, or a copy of a run with the same fields.

        Transitional, and now the identity for every run stateful/scenario.py builds: kept
        only for callers written while scenario.py had its own class (scale/campaign.py);
        remove it with them.
        """
        if isinstance(run, cls):
            return run
        return cls(**{item.name: getattr(run, item.name) for item in fields(cls)})

    # -- the verdict ---------------------------------------------------------------------
    @property
    def ranked_anomaly_names(self) -> list[str]:
        """Violation names in report order: the log checker's kinds as it ranks them
        (durability first) minus what the configuration allows, then `replica-invariant`,
        then `liveness`. The first one names the report folder."""
        allowed = allowed_anomalies(self.config)
        names = [name for name in self.log_verdict.anomalies if name not in allowed]
        if self.invariant_violations:
            names.append(REPLICA_INVARIANT)
        if self.liveness_violations:
            names.append(LIVENESS)
        return names

    @property
    def anomaly_names(self) -> list[str]:
        """Sorted violation names; replica invariant failures count as `replica-invariant`,
        a cluster that does not converge as `liveness`."""
        return sorted(self.ranked_anomaly_names)

    @property
    def violation(self) -> bool:
        """True when the log checker found an anomaly the configuration does not allow, a
        replica invariant failed, or the cluster did not converge after teardown."""
        return bool(self.ranked_anomaly_names)

    def violation_count(self, name: str) -> int:
        """How many times `name` was found (the checker's count for its own kinds)."""
        if name == REPLICA_INVARIANT:
            return len(self.invariant_violations)
        if name == LIVENESS:
            return 1 if self.liveness_violations else 0
        evidence = self.log_verdict.anomalies.get(name, [])
        counted = self.log_verdict.stats.get("anomaly_counts", {}).get(name)
        return int(counted) if counted else len(evidence)

    @property
    def flaw(self) -> str | None:
        """The single zoo flaw this configuration carries, if exactly one."""
        flaws = sorted(self.config.flaws)
        return flaws[0] if len(flaws) == 1 else None

    # -- the story -----------------------------------------------------------------------
    def numbered_steps(self) -> list[StepLine]:
        """The steps, numbered from 1, in the configuration's topic, with their outcomes."""
        assert len(self.step_outcomes) == len(self.steps), "one outcome per step"
        topic = self.config.topic
        return [
            StepLine(number, step.kind, step.describe(topic), outcome)
            for number, (step, outcome) in enumerate(
                zip(self.steps, self.step_outcomes, strict=True), start=1
            )
        ]

    def step_lines(self) -> list[str]:
        """Numbered steps with their outcomes: `  3. broker 2 loses power  → ...`."""
        return [line.render() for line in self.numbered_steps()]

    def moment(self, number: int) -> str:
        """`after step 3`, or `at the end` for the final read (numbered one past the last
        step, as `invariant_violations` and `describe_snapshots` number it)."""
        if number > len(self.steps):
            return "at the end (after healing and the final read)"
        return f"after step {number}"

    def story_lines(self) -> list[StoryLine]:
        """The failure story without a title: numbered steps, the teardown, each violated
        replica invariant and liveness bound, then the log checker's verdict if invalid."""
        lines = [StoryLine("step", line.render()) for line in self.numbered_steps()]
        lines.append(StoryLine("teardown", TEARDOWN_LINE))
        for number, text in self.invariant_violations:
            violated = f"replica invariant violated {self.moment(number)}: {text}"
            lines.append(StoryLine(REPLICA_INVARIANT, violated))
        lines.extend(StoryLine(LIVENESS, f"liveness: {text}") for text in self.liveness_violations)
        if not self.log_verdict.valid:
            lines.append(StoryLine("blank", ""))
            lines.append(StoryLine("verdict", self.log_verdict.render_text()))
        return lines

    def story(self, title: str | None = None) -> str:
        """The story as plain text under `title` (default `scenario (N steps, seed S):`);
        the one rendering behind error messages, `replay`, the pytest plugin and `hunt`."""
        heading = title or f"scenario ({len(self.steps)} steps, seed {self.seed}):"
        return "\n".join([heading, *(line.text for line in self.story_lines())])
