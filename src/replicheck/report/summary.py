"""The words of a report, as plain text: verdict, flaw, numbered steps, evidence, snapshots.

Markdown, HTML, `replicheck replay` and the pytest plugin all tell the same story; they
take the sentences from here and only differ in how they escape and lay them out. The
violation names, the numbered steps and the story itself belong to the run
(stateful/result.py); this module adds what only a report shows.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from replicheck.checker.log_text import KIND_MEANING, describe_evidence
from replicheck.checker.log_text import verdict_line as checker_verdict_line
from replicheck.impl.zoo import FLAWS
from replicheck.report.analysis import evidence_items
from replicheck.stateful.result import (
    LIVENESS,
    LIVENESS_MEANING,
    REPLICA_INVARIANT,
    REPLICA_INVARIANT_MEANING,
    RunResult,
    StepLine,
)


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


def step_lines(result: RunResult) -> list[StepLine]:
    """The numbered steps with their outcomes (the run's own numbering and wording)."""
    return result.numbered_steps()


def lookup_flaw(name: str) -> FlawFacts:
    """The zoo's description and public source of a flaw."""
    flaw = FLAWS.get(name)
    if flaw is None:
        return FlawFacts(name, "(not in this version's flaw zoo)", "", "", known=False)
    return FlawFacts(flaw.name, flaw.title, flaw.description, flaw.source, known=True)


def flaw_facts(result: RunResult) -> list[FlawFacts]:
    return [lookup_flaw(name) for name in sorted(result.config.flaws)]


def config_rows(result: RunResult) -> list[tuple[str, str]]:
    rows = []
    for name, value in result.config.to_dict().items():
        if isinstance(value, list | tuple | set | frozenset):
            text = ", ".join(map(str, sorted(value))) or "(none)"
        else:
            text = json.dumps(value) if isinstance(value, bool) or value is None else str(value)
        rows.append((str(name), text))
    return rows


def subject(result: RunResult) -> str:
    names = sorted(result.config.flaws)
    if not names:
        return "the correct configuration"
    return "flaw " + " + ".join(names)


def verdict_line(result: RunResult) -> str:
    """One line: what was found, under which configuration, in how many steps."""
    where = f"{subject(result)}, {len(result.steps)} steps, seed {result.seed}"
    names = result.ranked_anomaly_names
    if not names:
        return f"OK: no anomaly and no replica invariant violation ({where})"
    counts = []
    for name in names:
        count = result.violation_count(name)
        counts.append(f"{name} ×{count}" if count > 1 else name)
    return f"VIOLATION: {', '.join(counts)} ({where})"


def snapshots(result: RunResult) -> list[Snapshot]:
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


def evidence_text(kind: str, record: object) -> str:
    """One evidence record in words (the checker's own phrasing for its anomaly kinds)."""
    if kind in KIND_MEANING and isinstance(record, Mapping):
        return describe_evidence(kind, dict(record))
    if isinstance(record, Mapping):
        return "; ".join(f"{key}: {_value_text(value)}" for key, value in record.items())
    return _value_text(record)


def _value_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


#: evidence lines shown per anomaly kind; the count is always exact
MAX_EVIDENCE_SHOWN = 20


@dataclass(frozen=True)
class EvidenceGroup:
    name: str
    meaning: str  # one line: what the anomaly is
    lines: list[str]  # at most MAX_EVIDENCE_SHOWN
    hidden: int  # how many more there are


def evidence_groups(result: RunResult) -> list[EvidenceGroup]:
    """The anomalies with their evidence in words, durability first, replica invariants
    and liveness last."""
    verdict = result.log_verdict
    counts = verdict.stats.get("anomaly_counts", {})
    lines: dict[str, list[str]] = {}
    for name, record in evidence_items(verdict):
        lines.setdefault(name, []).append(evidence_text(name, record))
    groups = [
        _group(name, KIND_MEANING.get(name, ""), texts, max(int(counts.get(name, 0)), len(texts)))
        for name, texts in lines.items()
    ]
    if result.invariant_violations:
        texts = [f"{result.moment(n)}: {text}" for n, text in result.invariant_violations]
        groups.append(_group(REPLICA_INVARIANT, REPLICA_INVARIANT_MEANING, texts, len(texts)))
    if result.liveness_violations:
        liveness = list(result.liveness_violations)
        groups.append(EvidenceGroup(LIVENESS, LIVENESS_MEANING, liveness, 0))
    return groups


def _group(name: str, meaning: str, texts: list[str], total: int) -> EvidenceGroup:
    """At most MAX_EVIDENCE_SHOWN lines; `hidden` counts the rest of `total`."""
    shown = texts[:MAX_EVIDENCE_SHOWN]
    return EvidenceGroup(name, meaning, shown, total - len(shown))


def checker_line(result: RunResult) -> str:
    """The log checker's one-line verdict (with its statistics)."""
    return checker_verdict_line(result.log_verdict)


def verdict_text(result: RunResult) -> str:
    """The log checker's own full rendering."""
    return result.log_verdict.render_text()


def story(result: RunResult, *, header: str | None = None) -> str:
    """The plain-text failure story for CI logs and `replay`: `header` (default: the
    verdict line), then the run's own story (stateful/result.py) of the minimized scenario."""
    title = f"minimized scenario ({len(result.steps)} steps, seed {result.seed}):"
    text = "\n".join([header or verdict_line(result), "", result.story(title=title)])
    return text.rstrip() + "\n"


def default_search_command(result: RunResult) -> str:
    """`replicheck hunt --flaw NAME` for the run's flaw(s); the caller may pass the real one."""
    names = sorted(result.config.flaws)
    return " ".join(["replicheck hunt", *(f"--flaw {shlex.quote(name)}" for name in names)])
