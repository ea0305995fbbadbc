"""report.html: one self-contained page (inline CSS and SVG, no script, no network access).

Autoescaping is on for the whole template, and the page carries a Content-Security-Policy
that forbids scripts and remote loads, so a message such as `<img src=x onerror=...>` is
shown as text and could not run even if an escape were ever missed.
"""

from __future__ import annotations

import jinja2

from replicheck import __version__
from replicheck.report import summary
from replicheck.report.analysis import log_tables, offending_indices
from replicheck.report.timeline import BAR_HEIGHT_PX, LANE_HEIGHT_PX, build_timeline
from replicheck.stateful.result import RunResult
from replicheck.stateful.steps import FAULT_KINDS

#: steps the report marks as faults: the step table's (`stateful.steps.FAULT_KINDS`)
FAULT_STEP_KINDS = FAULT_KINDS


def _px(value: float) -> str:
    """Pixel coordinates with one decimal: stable text, small files."""
    return f"{value:.1f}".removesuffix(".0")


#: rows of a final-log table shown in full; longer tables show the marked rows in context
HTML_LOG_ROWS = 400

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("replicheck.report", "templates"),
    autoescape=True,  # every value is a payload until proven otherwise
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_ENV.filters["px"] = _px


def _offending_steps(result: RunResult, indices: frozenset[int]) -> set[int]:
    """Step numbers whose send wrote a message that the evidence points at."""
    values = {
        op.get("value")
        for op in result.history
        if op.get("index") in indices and op.get("f") == "send"
    }
    numbers = set()
    for number, step in enumerate(result.steps, start=1):
        if step.kind == "send" and step.args.get("message") in values:
            numbers.add(number)
    return numbers


def render_html(
    result: RunResult, *, replay_command: str, search_command: str, found_by: str | None = None
) -> str:
    """The whole report.html for a finished run."""
    indices = offending_indices(result.log_verdict)
    tables = log_tables(result.replica_logs, result.history)
    guides: dict[str, list[tuple[int, str, str]]] = {}
    for table in tables:
        for row in table.marked_rows:
            if row.lost:
                names = ", ".join(str(w.value) for w in row.lost)
                label = f"lost {names} @{row.offset}"
            else:
                label = f"divergent @{row.offset}"
            guides.setdefault(table.key, []).append((row.offset, label, row.note))
    timeline = build_timeline(
        history=result.history,
        events=result.events,
        broker_count=result.config.broker_count,
        offending_indices=indices,
        guides=guides,
        steps=[
            (line.number, line.kind, step.args, line.text, line.outcome)
            for line, step in zip(summary.step_lines(result), result.steps, strict=True)
        ],
    )
    groups = summary.evidence_groups(result)
    return _ENV.get_template("report.html.j2").render(
        version=__version__,
        title=summary.verdict_line(result),
        verdict=summary.verdict_line(result),
        violation=bool(groups),
        subject=summary.subject(result),
        seed=result.seed,
        flaws=summary.flaw_facts(result),
        steps=summary.step_lines(result),
        fault_kinds=FAULT_STEP_KINDS,
        offending_steps=_offending_steps(result, indices),
        op_count=sum(1 for op in result.history if op.get("type") == "invoke"),
        duration_ms=timeline.duration_ms,
        t=timeline,
        lane_h=LANE_HEIGHT_PX,
        bar_h=BAR_HEIGHT_PX,
        groups=groups,
        checker_line=summary.checker_line(result),
        checker_text=summary.verdict_text(result),
        tables=tables,
        html_rows=HTML_LOG_ROWS,
        snapshots=summary.snapshots(result),
        config_rows=summary.config_rows(result),
        replay_command=replay_command,
        search_command=search_command,
        found_by=found_by,
    )
