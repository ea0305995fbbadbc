"""The words of a report, as plain text: verdict, flaw, numbered steps, evidence, snapshots.

Markdown, HTML, `replicheck replay` and the pytest plugin all tell the same story; they
take the sentences from here and only differ in how they escape and lay them out.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from replicheck.report.analysis import evidence_items
from replicheck.report.case import has_violation, ranked_violation_names

TOPIC_DEFAULT = "orders"


@dataclass(frozen=True)
class StepLine:
    number: int
    kind: str
    text: str  # "client 1 sends m3 to orders-0"
    outcome: str  # "→ ok at offset 2"

    def render(self) -> str:
        return f"{self.number:>3}. {self.text}  {self.outcome}".rstrip()


@dataclass(frozen=True)
class FlawFacts:
    name: str
    title: str
    description: str
    source: str
    known: bool


@dataclass(frozen=True)
class Snapshot:
    label: str
    lines: list[str]


def topic_of(result: Any) -> str:
    return str(getattr(result.config, "topic", TOPIC_DEFAULT))


def step_lines(result: Any) -> list[StepLine]:
    topic = topic_of(result)
    outcomes = list(result.step_outcomes)
    assert len(outcomes) == len(result.steps), "one outcome per step"
    return [
        StepLine(number, step.kind, step.describe(topic), outcome)
        for number, (step, outcome) in enumerate(zip(result.steps, outcomes, strict=True), 1)
    ]


def lookup_flaw(name: str) -> FlawFacts:
    """The zoo's description and public source of a flaw."""
    from replicheck.impl.zoo import FLAWS

    flaw = FLAWS.get(name)
    if flaw is None:
        return FlawFacts(name, "(not in this version's flaw zoo)", "", "", known=False)
    return FlawFacts(flaw.name, flaw.title, flaw.description, flaw.source, known=True)


def flaw_facts(result: Any) -> list[FlawFacts]:
    return [lookup_flaw(name) for name in sorted(getattr(result.config, "flaws", ()) or ())]


def config_rows(result: Any) -> list[tuple[str, str]]:
    rows = []
    for name, value in result.config.to_dict().items():
        if isinstance(value, list | tuple | set | frozenset):
            text = ", ".join(map(str, sorted(value))) or "(none)"
        else:
            text = json.dumps(value) if isinstance(value, bool) or value is None else str(value)
        rows.append((str(name), text))
    return rows


def subject(result: Any) -> str:
    names = sorted(getattr(result.config, "flaws", ()) or ())
    if not names:
        return "the correct configuration"
    return "flaw " + " + ".join(names)


def verdict_line(result: Any) -> str:
    """One line: what was found, under which configuration, in how many steps."""
    where = f"{subject(result)}, {len(result.steps)} steps, seed {result.seed}"
    if not has_violation(result):
        return f"OK: no anomaly and no replica invariant violation ({where})"
    counts = []
    verdict = result.log_verdict
    for name in ranked_violation_names(result):
        if verdict is not None and name in verdict.anomalies:
            evidence = verdict.anomalies[name]
            counts_by_kind = (getattr(verdict, "stats", None) or {}).get("anomaly_counts", {})
            count = counts_by_kind.get(name) or (
                len(evidence) if isinstance(evidence, list | tuple) else 1
            )
        elif name == "liveness":
            count = 1
        else:
            count = len(result.invariant_violations)
        counts.append(f"{name} ×{count}" if count > 1 else name)
    return f"VIOLATION: {', '.join(counts)} ({where})"


def moment(result: Any, number: int) -> str:
    """`after step 3`, or `at the end` for the final read (numbered one past the last step)."""
    if number > len(result.steps):
        return "at the end (after healing and the final read)"
    return f"after step {number}"


def snapshots(result: Any) -> list[Snapshot]:
    """Describe lines at key moments, labelled in words: the start, every snapshot that
    differs from the one before it, and the end."""
    lines = step_lines(result)
    out = []
    previous: list[str] | None = None
    last = len(result.describe_snapshots) - 1
    for position, (number, describe) in enumerate(result.describe_snapshots):
        if list(describe) == previous and position != last:
            continue
        previous = list(describe)
        if number == 0:
            label = "at the start"
        elif number > len(lines):
            label = "at the end (after healing, restarting every broker and the final read)"
        else:
            label = f"after step {number}: {lines[number - 1].text}"
        out.append(Snapshot(label, list(describe)))
    return out


def evidence_text(kind: str, record: Any) -> str:
    """One evidence record in words (the checker's own phrasing for its anomaly kinds)."""
    from replicheck.checker.log_text import KIND_MEANING, describe_evidence

    if kind in KIND_MEANING and isinstance(record, Mapping):
        return describe_evidence(kind, dict(record))
    if isinstance(record, Mapping):
        return "; ".join(f"{key}: {_value_text(value)}" for key, value in record.items())
    return _value_text(record)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


#: evidence lines shown per anomaly kind; the count is always exact
MAX_EVIDENCE_SHOWN = 20
REPLICA_INVARIANT_MEANING = "the replicas' internal state broke a replication invariant"
LIVENESS_MEANING = ("after healing and restarting every broker the cluster did not converge "
                    "within its bound (a partition stays unavailable or under-replicated)")


@dataclass(frozen=True)
class EvidenceGroup:
    name: str
    meaning: str  # one line: what the anomaly is
    lines: list[str]  # at most MAX_EVIDENCE_SHOWN
    hidden: int  # how many more there are


def evidence_groups(result: Any) -> list[EvidenceGroup]:
    """The anomalies with their evidence in words, durability first, replica invariants last."""
    from replicheck.checker.log_text import KIND_MEANING

    verdict = result.log_verdict
    counts = (getattr(verdict, "stats", None) or {}).get("anomaly_counts", {}) if verdict else {}
    lines: dict[str, list[str]] = {}
    for name, record in evidence_items(verdict):
        lines.setdefault(name, []).append(evidence_text(name, record))
    groups = []
    for name, texts in lines.items():
        total = max(int(counts.get(name, 0)), len(texts))
        groups.append(
            EvidenceGroup(
                name,
                KIND_MEANING.get(name, ""),
                texts[:MAX_EVIDENCE_SHOWN],
                total - min(len(texts), MAX_EVIDENCE_SHOWN),
            )
        )
    if result.invariant_violations:
        texts = [f"{moment(result, n)}: {text}" for n, text in result.invariant_violations]
        groups.append(
            EvidenceGroup(
                "replica-invariant",
                REPLICA_INVARIANT_MEANING,
                texts[:MAX_EVIDENCE_SHOWN],
                max(0, len(texts) - MAX_EVIDENCE_SHOWN),
            )
        )
    liveness = list(getattr(result, "liveness_violations", None) or [])
    if liveness:
        groups.append(EvidenceGroup("liveness", LIVENESS_MEANING, liveness, 0))
    return groups


def checker_line(result: Any) -> str:
    """The log checker's one-line verdict (with its statistics)."""
    from replicheck.checker.log_text import verdict_line as checker_verdict_line

    return checker_verdict_line(result.log_verdict)


def verdict_text(result: Any) -> str:
    """The log checker's own full rendering."""
    return str(result.log_verdict.render_text())


def scenario_text(result: Any) -> str:
    return "\n".join(line.render() for line in step_lines(result))


def story(result: Any, *, header: str | None = None) -> str:
    """The plain-text failure story: verdict, numbered steps, evidence (for CI logs)."""
    parts = [header or verdict_line(result), ""]
    parts.append(f"minimized scenario ({len(result.steps)} steps, seed {result.seed}):")
    parts.extend(line.render() for line in step_lines(result))
    parts.append(
        "  then: the network heals, every broker restarts, a final read of every partition"
    )
    for number, text in result.invariant_violations:
        parts.append(f"replica invariant violated {moment(result, number)}: {text}")
    parts.extend(f"liveness: {text}" for text in getattr(result, "liveness_violations", None) or [])
    verdict = result.log_verdict
    if verdict is not None and not verdict.valid:
        parts.extend(["", verdict_text(result)])
    return "\n".join(parts).rstrip() + "\n"


def default_search_command(result: Any) -> str:
    """`replicheck hunt --flaw NAME` for the run's flaw(s); the caller may pass the real one."""
    names = sorted(getattr(result.config, "flaws", ()) or ())
    return " ".join(["replicheck hunt", *(f"--flaw {shlex.quote(name)}" for name in names)])
