"""The linearizability verdict as one self-contained HTML page (what Porcupine's visualizer
shows): per partition, one lane per process, each operation a bar from invocation to
response, the linearization (or the longest linearizable prefix) numbered on the bars, the
operation that could not be placed in red, and the model state after each step on hover.

The page is rendered by jinja2 with autoescaping and contains no script, stylesheet, font or
image from the network: every value that came from the history (keys, values, messages) goes
through the escaper, so a history cannot inject markup. The x axis is the order of events in
the partition (not wall-clock time), so bursts and idle stretches take the same room.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import jinja2

from replicheck.checker.linearizability import LinVerdict, PartitionResult
from replicheck.model.base import Model, S

#: operations drawn per partition; beyond that a window around the evidence is shown
MAX_OPS_DRAWN = 600
#: partitions drawn: every failing one, then valid ones up to this many
MAX_PARTITIONS_DRAWN = 24
LANE_HEIGHT_PX = 26
STEP_WIDTH_PX = 26
CHAR_WIDTH_PX = 7
LEFT_MARGIN_PX = 90


class _LaneView(TypedDict):
    name: str  # the process
    y: int


class _BarView(TypedDict):
    """One operation, drawn from its invocation to its response (or the right edge)."""

    x: int
    y: int
    width: int
    caption: str  # what fits on the bar
    kind: str  # "blocking", "placed", "info" or "unplaced"
    label: str  # the whole description, on hover
    step: int | None  # 1-based place in the order shown
    state: str | None  # the state after it, if placed
    index: int
    process: Any  # the history's process id (any JSON value)
    open_ended: bool


class _StepView(TypedDict):
    step: int
    index: int
    process: Any
    label: str
    state: str


class _BlockingView(TypedDict):
    """The call that could not be placed, and the states whose step refused it."""

    index: int
    process: Any
    label: str
    refused: list[str]


class _PartitionView(TypedDict):
    label: str
    valid: bool | None
    outcome: str
    op_count: int
    window: tuple[int, int] | None  # the calls drawn, when not all of them
    lanes: list[_LaneView]
    bars: list[_BarView]
    width: int
    height: int
    steps: list[_StepView]
    steps_title: str
    initial_state: str
    blocking: _BlockingView | None


class _LinView(TypedDict):
    model: str
    valid: bool | None
    summary: str
    partitions: list[_PartitionView]
    hidden_partitions: int


class _PageContext(TypedDict):
    title: str
    log_page: str | None
    lin: _LinView | None
    overall: str | None
    overall_class: NotRequired[str]


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("replicheck.checker", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_linearizability_html(verdict: LinVerdict[S], title: str = "history") -> str:
    """The full page for `verdict`. Ask the checker for the linearization
    (`linearization=True`) to have valid partitions numbered too."""
    return render_check_html(verdict, None, title=title)


def render_check_html(
    lin: LinVerdict[S] | None,
    log_page: str | None,
    title: str = "history",
    overall: tuple[bool | None] | None = None,
) -> str:
    """The `replicheck check` page: the log-anomaly report (a whole page of its own, shown in
    an inline frame whose source is embedded and escaped) and the linearizability section.
    `overall` is `(valid,)`, the verdict of all checks together, shown at the top."""
    assert lin is not None or log_page is not None, "a report needs at least one verdict"
    context: _PageContext = {"title": title, "log_page": log_page, "lin": None, "overall": None}
    if overall is not None:
        context["overall"] = {True: "OK", False: "VIOLATION", None: "UNKNOWN (timed out)"}[
            overall[0]
        ]
        context["overall_class"] = {True: "ok", False: "bad", None: "unknown"}[overall[0]]
    if lin is not None:
        failing = lin.failing()
        others = [p for p in lin.partitions if p.valid is not False]
        shown = failing + others[: max(0, MAX_PARTITIONS_DRAWN - len(failing))]
        context["lin"] = {
            "model": lin.model.name,
            "valid": lin.valid,
            "summary": lin.render_text().splitlines()[0],
            "partitions": [_partition_view(lin.model, p) for p in shown],
            "hidden_partitions": len(lin.partitions) - len(shown),
        }
    return _ENV.get_template("linearizability.html.j2").render(
        **context, lane_height=LANE_HEIGHT_PX, left_margin=LEFT_MARGIN_PX
    )


def _window(part: PartitionResult[S]) -> tuple[int, int]:
    """The range of call indices to draw: everything, or the ops around the evidence."""
    n = len(part.calls)
    if n <= MAX_OPS_DRAWN:
        return 0, n
    focus = part.blocking if part.blocking is not None else (part.order[-1] if part.order else 0)
    start = max(0, min(focus - MAX_OPS_DRAWN + 60, n - MAX_OPS_DRAWN))
    return start, start + MAX_OPS_DRAWN


def _partition_view(model: Model[S], part: PartitionResult[S]) -> _PartitionView:
    """What the template draws for one partition: lanes, bars, the steps and the evidence."""
    lo, hi = _window(part)
    calls = part.calls[lo:hi]
    step_of = {op: k for k, op in enumerate(part.order)}
    positions = sorted(
        {c.call_pos for c in calls} | {c.return_pos for c in calls if c.return_pos is not None}
    )
    x_of = {pos: i for i, pos in enumerate(positions)}
    end_x = len(positions) + 1
    processes = sorted({c.process for c in calls}, key=lambda p: (str(type(p)), p))
    lane_of = {p: i for i, p in enumerate(processes)}
    bars = []
    for offset, call in enumerate(calls):
        op = lo + offset
        x1 = x_of[call.call_pos]
        x2 = x_of[call.return_pos] if call.return_pos is not None else end_x
        bars.append(_bar(model, part, op, step_of.get(op), (x1, x2), lane_of[call.process]))
    return {
        "label": part.label,
        "valid": part.valid,
        "outcome": {True: "linearizable", False: "not linearizable", None: "unknown"}[part.valid]
        if part.searched
        else "not searched (stopped at the first failing partition)",
        "op_count": len(part.calls),
        "window": (lo, hi) if (lo, hi) != (0, len(part.calls)) else None,
        "lanes": [{"name": str(p), "y": i * LANE_HEIGHT_PX} for i, p in enumerate(processes)],
        "bars": bars,
        "width": LEFT_MARGIN_PX + (end_x + 2) * STEP_WIDTH_PX,
        "height": max(1, len(processes)) * LANE_HEIGHT_PX + 8,
        "steps": _steps(model, part),
        "steps_title": "Linearization" if part.valid else "Longest linearizable prefix",
        "initial_state": model.describe_state(part.initial_state),
        "blocking": _blocking(model, part),
    }


def _bar(
    model: Model[S],
    part: PartitionResult[S],
    op: int,
    step: int | None,
    columns: tuple[int, int],
    lane: int,
) -> _BarView:
    """One operation's bar: `step` is its place in the order shown, `columns` the event
    columns it spans, `lane` its process's row."""
    x1, x2 = columns
    call = part.calls[op]
    if op == part.blocking:
        kind = "blocking"
    elif step is not None:
        kind = "placed"
    elif call.return_pos is None:
        kind = "info"
    else:
        kind = "unplaced"
    state = model.describe_state(part.states[step]) if step is not None else None
    width = max(STEP_WIDTH_PX // 2, (x2 - x1) * STEP_WIDTH_PX - 3)
    label = model.describe_call(call)
    caption = f"{step + 1}: {label}" if step is not None else label
    fits = max(0, (width - 6) // CHAR_WIDTH_PX)
    if len(caption) > fits:  # cut to fit, or only the step number when hardly anything fits
        short = "" if step is None else str(step + 1)
        caption = caption[: fits - 1] + "…" if fits > 6 else short
    return {
        "x": LEFT_MARGIN_PX + x1 * STEP_WIDTH_PX,
        "y": lane * LANE_HEIGHT_PX + 4,
        "width": width,
        "caption": caption,
        "kind": kind,
        "label": label,
        "step": None if step is None else step + 1,
        "state": state,
        "index": call.invoke_index,
        "process": call.process,
        "open_ended": call.return_pos is None,
    }


def _steps(model: Model[S], part: PartitionResult[S]) -> list[_StepView]:
    """The order shown (the linearization or the longest prefix), one row per step."""
    return [
        {
            "step": k + 1,
            "index": part.calls[op].invoke_index,
            "process": part.calls[op].process,
            "label": model.describe_call(part.calls[op]),
            "state": model.describe_state(state),
        }
        for k, (op, state) in enumerate(zip(part.order, part.states, strict=True))
    ]


def _blocking(model: Model[S], part: PartitionResult[S]) -> _BlockingView | None:
    """The call that could not be placed, and the states that refused it (violations)."""
    if part.blocking is None:
        return None
    call = part.calls[part.blocking]
    return {
        "index": call.invoke_index,
        "process": call.process,
        "label": model.describe_call(call),
        "refused": [model.describe_state(s) for s in part.refused_states],
    }
