"""Self-contained HTML page for a log verdict: per-partition offset strips and evidence.

Everything shown comes from the verdict (and, optionally, the history for the raw
operations behind the evidence). Messages and keys are user data, so the template is
rendered with jinja2 autoescaping and references no network resource.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any, Literal, TypeAlias, TypedDict

import jinja2

from replicheck.checker.json_values import dumps as json_dumps
from replicheck.checker.log_anomalies import ANOMALY_KINDS, LogVerdict, PartitionView
from replicheck.checker.log_text import describe_evidence, kind_meaning, verdict_line
from replicheck.model.base import Record

#: plain runs longer than this collapse into one "n offsets" cell
COLLAPSE_RUN = 12
#: evidence entries shown per kind (the JSON verdict has them all, up to its own cap)
MAX_HTML_EVIDENCE = 200

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("replicheck.checker", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class RunSegment(TypedDict):
    """Plain offsets `first..last` shown as one cell (a gap, or a long unremarkable run)."""

    run: Literal[True]
    first: int
    last: int
    state: str  # "gap" (no op observed these offsets) or "seen"


class OffsetSegment(TypedDict):
    """One offset's cell; `kinds` are the anomalies at it, most severe first."""

    run: Literal[False]
    offset: int
    kinds: list[str]
    state: str


#: one cell of a partition's strip, as the template reads it
Segment: TypeAlias = RunSegment | OffsetSegment


class _EntryView(TypedDict):
    text: str  # one line for humans
    json: str  # the evidence as indented JSON


class _KindView(TypedDict):
    """One anomaly kind's section of the page."""

    name: str
    meaning: str
    count: int
    entries: list[_EntryView]


def strip_segments(view: PartitionView) -> list[Segment]:
    """The strip of one partition: highlighted offsets as cells, plain runs collapsed.

    Linear in the number of observed runs plus highlighted offsets, never in the log
    length, so a million-offset partition still renders a short strip.
    """
    marked = sorted(view.highlights)
    segments: list[Segment] = []
    cursor = 0  # first offset not yet emitted

    def plain(first: int, last: int, state: str) -> None:
        if last < first:
            return
        if state == "gap" or last - first + 1 > COLLAPSE_RUN:
            segments.append({"run": True, "first": first, "last": last, "state": state})
        else:
            for offset in range(first, last + 1):
                segments.append({"run": False, "offset": offset, "kinds": [], "state": state})

    for first, last in view.offset_ranges:
        plain(cursor, first - 1, "gap")
        at = bisect.bisect_left(marked, first)
        position = first
        while at < len(marked) and marked[at] <= last:
            offset = marked[at]
            plain(position, offset - 1, "seen")
            kinds = sorted(view.highlights[offset], key=_severity)
            segments.append({"run": False, "offset": offset, "kinds": kinds, "state": "seen"})
            position = offset + 1
            at += 1
        plain(position, last, "seen")
        cursor = last + 1
    return segments


def _severity(kind: str) -> int:
    """Durability first: a cell is coloured by its most severe anomaly."""
    return ANOMALY_KINDS.index(kind) if kind in ANOMALY_KINDS else len(ANOMALY_KINDS)


def _referenced_indexes(value: Any, out: set[int]) -> None:
    """Every op index mentioned in an evidence structure."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name in ("index", "invoke_index") and isinstance(item, int):
                out.add(item)
            else:
                _referenced_indexes(item, out)
    elif isinstance(value, list):
        for item in value:
            _referenced_indexes(item, out)


def _pretty(value: Any) -> str:
    return json_dumps(value, indent=True)


def render_log_html(verdict: LogVerdict, ops: Iterable[Record] | None = None) -> str:
    """The report page. Pass `ops` (the history) to list the raw evidence operations."""
    kinds: list[_KindView] = []
    wanted: set[int] = set()
    for kind, evidence in verdict.anomalies.items():
        shown = evidence[:MAX_HTML_EVIDENCE]
        for entry in shown:
            _referenced_indexes(entry, wanted)
        kinds.append(
            {
                "name": kind,
                "meaning": kind_meaning(kind),
                "count": verdict.stats["anomaly_counts"][kind],
                "entries": [
                    {"text": describe_evidence(kind, e), "json": _pretty(e)} for e in shown
                ],
            }
        )
    raw_ops: list[str] = []
    if ops is not None:
        for position, op in enumerate(ops):
            if op.get("index", position) in wanted:
                raw_ops.append(json_dumps(op))
    partitions = [
        {
            "key": key,
            "acked": view.acked_offsets,
            "observed": sum(last - first + 1 for first, last in view.offset_ranges),
            "segments": strip_segments(view),
        }
        for key, view in verdict.partitions.items()
    ]
    template = _ENV.get_template("log_report.html.j2")
    return template.render(
        verdict_line=verdict_line(verdict),
        valid=verdict.valid,
        stats=_pretty(verdict.stats),
        kinds=kinds,
        partitions=partitions,
        raw_ops=raw_ops,
        ops_given=ops is not None,
    )
