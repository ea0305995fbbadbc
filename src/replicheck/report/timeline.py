"""Geometry of the report's SVG timeline, computed from a run's history and cluster events.

Everything here is plain data (pixels and strings); the jinja2 template only draws it, so
the layout is testable without a browser and every string reaches the page through
autoescaping. Layout, top to bottom: a `network` lane (partitions, controller failovers,
message faults), one lane per client, one lane per broker, then one chart per partition
with each replica's log end offset (LEO) and the leader's high watermark (HW) over time.

Simulated runs alternate bursts of activity with long quiet ticks, so the time axis is
piecewise linear: gaps longer than a cap are squeezed to the cap and marked with a break.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from replicheck.stateful.steps import VOCABULARY

LABEL_WIDTH_PX = 96
PLOT_WIDTH_PX = 1040
RIGHT_PAD_PX = 24
LANE_HEIGHT_PX = 30
BAR_HEIGHT_PX = 18
CHART_HEIGHT_PX = 150
CHART_GAP_PX = 34
AXIS_HEIGHT_PX = 26
STEPS_ROW_PX = 20
STEP_GAP_PX = 5  # space kept between step labels; closer steps share one ('4–6')
MIN_BAR_WIDTH_PX = 3.0
CHAR_WIDTH_PX = 6.2  # 10px sans-serif, conservative: decides whether a label fits in a bar
TICK_COUNT = 8
SQUEEZED_SHARE = 0.4  # of the plot width, at most, for squeezed quiet gaps
BROKER_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


#: one scenario step as the timeline needs it: (number, kind, args, text, outcome)
StepInput = tuple[int, str, Mapping[str, Any], str, str]


@dataclass(frozen=True)
class Lane:
    name: str  # "network", "c0", "b1", ...
    label: str
    y: float  # top edge
    kind: str  # "network" | "client" | "broker"
    colour: str = "#444"


@dataclass(frozen=True)
class Bar:
    """One client operation, from invoke to completion."""

    x: float
    y: float
    width: float
    status: str  # "ok" | "fail" | "info" | "pending"
    label: str  # drawn inside the bar when it fits ("" otherwise)
    title: str  # tooltip: the whole operation
    offending: bool
    final: bool
    index: int  # history index of the invoke


@dataclass(frozen=True)
class Band:
    """A time interval on one lane (crash, power loss) or across all lanes (partition)."""

    x: float
    y: float
    width: float
    height: float
    kind: str  # "crash" | "power-loss" | "partition"
    label: str
    title: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float  # centre line of the lane
    kind: str  # "leader" | "isr" | "offline" | "truncate" | "restart" | "heal" | "controller" | "faults" | "note"
    label: str
    title: str
    label_dy: float = 0.0  # moved up a row when it would overlap its neighbour


@dataclass(frozen=True)
class StepMark:
    """Where a scenario step (or a run of steps at one moment) happened."""

    x: float
    label: str  # "4" or "4–6"
    title: str


@dataclass(frozen=True)
class Series:
    kind: str  # "leo" | "hw"
    label: str
    colour: str
    points: str  # SVG polyline points
    title: str


@dataclass(frozen=True)
class Guide:
    """A horizontal dashed line in an offsets chart (a lost or divergent offset)."""

    y: float
    label: str
    title: str


@dataclass(frozen=True)
class OffsetChart:
    partition: str
    y: float
    height: float
    y_ticks: list[tuple[float, str]]
    series: list[Series]
    guides: list[Guide]


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    plot_x0: float
    plot_x1: float
    lanes_y1: float  # bottom edge of the last lane
    lanes: list[Lane]
    bars: list[Bar]
    bands: list[Band]
    markers: list[Marker]
    charts: list[OffsetChart]
    ticks: list[tuple[float, str]]
    steps: list[StepMark] = field(default_factory=list)
    steps_y: float = AXIS_HEIGHT_PX
    breaks: list[tuple[float, str]] = field(default_factory=list)
    duration_ms: float = 0.0


class TimeAxis:
    """Maps simulated ms to x pixels, squeezing long quiet gaps (piecewise linear)."""

    def __init__(self, times_ms: Iterable[float], x0: float, x1: float) -> None:
        assert x1 > x0
        times = sorted(set(times_ms)) or [0.0]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        cap_ms = max(4 * statistics.median(gaps), 1.0) if gaps else 1.0
        # A squeezed gap keeps a logarithmic hint of its length; all of them together get
        # at most SQUEEZED_SHARE of the width, so the busy moments stay readable.
        squeezed = {
            i: cap_ms * (1 + math.log(g / cap_ms)) for i, g in enumerate(gaps) if g > cap_ms
        }
        busy_units = sum(g for i, g in enumerate(gaps) if i not in squeezed)
        squeezed_units = sum(squeezed.values())
        limit = SQUEEZED_SHARE / (1 - SQUEEZED_SHARE) * busy_units
        shrink = limit / squeezed_units if busy_units and squeezed_units > limit else 1.0
        units = [0.0]
        self.breaks_ms: list[tuple[float, float]] = []  # (squeezed gap start, gap length)
        for i, (start, gap) in enumerate(zip(times, gaps, strict=False)):
            if i in squeezed:
                self.breaks_ms.append((start, gap))
                units.append(units[-1] + squeezed[i] * shrink)
            else:
                units.append(units[-1] + gap)
        self.times = times
        self.units = units
        self.x0, self.x1 = x0, x1
        self.scale = (x1 - x0) / units[-1] if units[-1] > 0 else 0.0

    def x(self, t_ms: float) -> float:
        times, units = self.times, self.units
        if t_ms <= times[0]:
            return self.x0
        if t_ms >= times[-1]:
            return self.x0 + units[-1] * self.scale
        i = bisect.bisect_right(times, t_ms) - 1
        t_a, t_b, u_a, u_b = times[i], times[i + 1], units[i], units[i + 1]
        unit = u_a + (t_ms - t_a) * (u_b - u_a) / (t_b - t_a)
        return self.x0 + unit * self.scale

    def t(self, x: float) -> float:
        """Inverse of `x` (for axis labels)."""
        if self.scale == 0:
            return self.times[0]
        unit = (x - self.x0) / self.scale
        i = max(0, min(bisect.bisect_right(self.units, unit) - 1, len(self.units) - 2))
        if len(self.units) == 1:
            return self.times[0]
        u_a, u_b, t_a, t_b = self.units[i], self.units[i + 1], self.times[i], self.times[i + 1]
        if u_b == u_a:
            return t_a
        return t_a + (unit - u_a) * (t_b - t_a) / (u_b - u_a)


def _op_ms(op: Mapping[str, Any]) -> float:
    return float(op["time"]) / 1_000_000


def _node_label(node: str) -> str:
    if node.startswith("b") and node[1:].isdigit():
        return f"broker {node[1:]}"
    if node.startswith("c") and node[1:].isdigit():
        return f"client {node[1:]}"
    return node


def _records_text(records: Sequence[Sequence[Any]], limit: int = 8) -> str:
    shown = ", ".join(f"{message}@{offset}" for offset, message in list(records)[:limit])
    if len(records) > limit:
        shown += f", … ({len(records)} records)"
    return shown or "nothing"


def describe_op(invoke: Mapping[str, Any], done: Mapping[str, Any] | None) -> str:
    """`client 1 send m3 to orders-0 → ok at offset 2` (plain text, escaped later)."""
    process = invoke.get("process")
    if invoke.get("f") == "send":
        head = f"client {process} send {invoke.get('value')} to {invoke.get('key')}"
    else:
        head = f"client {process} poll {invoke.get('key')} from offset {invoke.get('offset')}"
    if invoke.get("final"):
        head += " (final read)"
    if done is None:
        return head + " → still pending"
    status = done.get("type")
    if status == "ok":
        if done.get("f") == "send":
            return f"{head} → ok at offset {done.get('offset')}"
        return f"{head} → ok: {_records_text(done.get('value') or [])}"
    error = done.get("error") or ""
    if status == "fail":
        return f"{head} → fail {error}".rstrip()
    return f"{head} → info {error} (outcome unknown)".rstrip()


def pair_ops(
    history: Sequence[Mapping[str, Any]],
) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """(invoke, completion-or-None) per client operation, in invoke order."""
    open_ops: dict[Any, int] = {}
    pairs: list[list[Any]] = []
    for op in history:
        if op.get("type") == "invoke":
            assert op.get("process") not in open_ops, "a process has one outstanding op"
            open_ops[op.get("process")] = len(pairs)
            pairs.append([op, None])
        else:
            slot = open_ops.pop(op.get("process"), None)
            if slot is not None:
                pairs[slot][1] = op
    return [(invoke, done) for invoke, done in pairs]


def build_timeline(
    *,
    history: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    broker_count: int,
    offending_indices: frozenset[int] = frozenset(),
    guides: Mapping[str, Sequence[tuple[int, str, str]]] | None = None,
    steps: Sequence[StepInput] = (),
) -> Timeline:
    """Lay out the timeline.

    `guides`: partition → (offset, label, tooltip) lines to draw in its offsets chart.
    `steps`: (number, kind, args, text, outcome) per scenario step, for the steps row.
    """
    assert broker_count >= 1
    processes = sorted({op["process"] for op in history})
    brokers = list(range(1, broker_count + 1))
    times = [_op_ms(op) for op in history] + [float(e["time_ms"]) for e in events]
    times.append(0.0)
    plot_x0 = float(LABEL_WIDTH_PX)
    plot_x1 = plot_x0 + PLOT_WIDTH_PX
    axis = TimeAxis(times, plot_x0, plot_x1)
    end_ms = max(times)
    x_end = axis.x(end_ms)

    lanes, lane_y, lanes_y1 = _lanes(processes, brokers)
    bars = _bars(pair_ops(history), axis, lane_y, end_ms, offending_indices)
    layout = _EventLayout(axis, lane_y, lanes_y1, events)
    for event in events:
        layout.add(event)
    layout.close(end_ms)

    charts = []
    chart_y = lanes_y1 + CHART_GAP_PX
    for partition in layout.partitions_seen:
        chart = _offset_chart(
            partition, events, axis, brokers, chart_y, end_ms, (guides or {}).get(partition, ())
        )
        charts.append(chart)
        chart_y += CHART_HEIGHT_PX + CHART_GAP_PX

    # Partitions underneath the crash bands; labels that do not fit are left to tooltips.
    bands = _fit_band_labels(sorted(layout.bands, key=lambda b: b.kind != "partition"))
    markers = _declutter(layout.markers + _band_notes(bands), _band_label_spans(bands))
    ticks = []
    for i in range(TICK_COUNT + 1):
        tick_x = plot_x0 + (x_end - plot_x0) * i / TICK_COUNT
        ticks.append((tick_x, f"{axis.t(tick_x):.0f} ms"))
    breaks = [
        ((axis.x(start) + axis.x(start + gap)) / 2, f"{gap:g} ms of quiet time squeezed")
        for start, gap in axis.breaks_ms
    ]
    timeline = Timeline(
        width=plot_x1 + RIGHT_PAD_PX,
        height=chart_y + 8 if charts else lanes_y1 + 16,
        plot_x0=plot_x0,
        plot_x1=plot_x1,
        lanes_y1=lanes_y1,
        lanes=lanes,
        bars=bars,
        bands=bands,
        markers=markers,
        charts=charts,
        ticks=ticks,
        steps=_step_marks(steps, history, events, axis),
        breaks=breaks,
        duration_ms=end_ms,
    )
    assert all(plot_x0 <= bar.x <= plot_x1 for bar in bars)
    return timeline


def _lanes(
    processes: Sequence[int], brokers: Sequence[int]
) -> tuple[list[Lane], dict[str, float], float]:
    """The network lane, one lane per client and per broker; (lanes, top edge by lane
    name, bottom edge of the last lane)."""
    lanes: list[Lane] = []
    y = float(AXIS_HEIGHT_PX + STEPS_ROW_PX)
    rows = [("network", "network", "network", "#444")]
    rows += [(f"c{p}", f"client {p}", "client", "#444") for p in processes]
    rows += [(f"b{b}", f"broker {b}", "broker", _broker_colour(b)) for b in brokers]
    for name, label, kind, colour in rows:
        lanes.append(Lane(name, label, y, kind, colour))
        y += LANE_HEIGHT_PX
    return lanes, {lane.name: lane.y for lane in lanes}, y


def _bars(
    pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
    axis: TimeAxis,
    lane_y: Mapping[str, float],
    end_ms: float,
    offending_indices: frozenset[int],
) -> list[Bar]:
    """One bar per client operation, from its invoke to its completion (or the end)."""
    pad = (LANE_HEIGHT_PX - BAR_HEIGHT_PX) / 2
    x_end = axis.x(end_ms)
    bars = []
    for invoke, done in pairs:
        x_a = axis.x(_op_ms(invoke))
        x_b = axis.x(_op_ms(done)) if done is not None else x_end
        width = max(x_b - x_a, MIN_BAR_WIDTH_PX)
        label = _bar_label(invoke, done)
        if len(label) * CHAR_WIDTH_PX + 4 > width:
            label = ""
        offending = invoke.get("index") in offending_indices or (
            done is not None and done.get("index") in offending_indices
        )
        bars.append(
            Bar(
                x=x_a,
                y=lane_y[f"c{invoke['process']}"] + pad,
                width=width,
                status="pending" if done is None else str(done.get("type")),
                label=label,
                title=describe_op(invoke, done)
                + f" [t={_op_ms(invoke):g}–{_op_ms(done) if done else end_ms:g} ms,"
                f" op #{invoke.get('index')}]",
                offending=offending,
                final=bool(invoke.get("final")),
                index=int(invoke.get("index", -1)),
            )
        )
    return bars


class _EventLayout:
    """Cluster events → bands (a broker down, a network partition) and markers, in order.

    A band opens at one event and closes at another (a crash at its restart, a partition
    at the next partition or heal), so the layout keeps what is open; `close(end_ms)`
    closes the rest at the end of the run."""

    def __init__(
        self,
        axis: TimeAxis,
        lane_y: Mapping[str, float],
        lanes_y1: float,
        events: Sequence[Mapping[str, Any]],
    ) -> None:
        self.axis = axis
        self.lane_y = lane_y
        self.lanes_y1 = lanes_y1
        self.net_mid = lane_y["network"] + LANE_HEIGHT_PX / 2
        self.bands: list[Band] = []
        self.markers: list[Marker] = []
        self.down_since: dict[int, tuple[float, str, str]] = {}
        self.partition_since: tuple[float, str] | None = None
        self.leaders: dict[str, tuple[Any, Any, tuple[int, ...]]] = {}
        self.partitions_seen = sorted(
            {str(e["partition"]) for e in events if e.get("kind") in ("leader", "hw", "leo")}
        )
        self.many_partitions = len(self.partitions_seen) > 1
        self._handlers: dict[str, Callable[[Mapping[str, Any], float, float], None]] = {
            "crash": self._down,
            "power-loss": self._down,
            "replace-disk": self._down,
            "restart": self._restart,
            "partition": self._partition,
            "heal": self._heal,
            "controller-failover": self._controller,
            "message-faults": self._message_faults,
            "leader": self._leader,
            "truncate": self._truncate,
        }

    def add(self, event: Mapping[str, Any]) -> None:
        handler = self._handlers.get(str(event.get("kind")))
        if handler is not None:
            t_ms = float(event["time_ms"])
            handler(event, t_ms, self.axis.x(t_ms))

    def close(self, end_ms: float) -> None:
        self._close_partition(end_ms)
        for broker, (start_ms, kind, label) in sorted(self.down_since.items()):
            self.bands.append(
                _down_band(self.axis, self.lane_y, broker, start_ms, kind, label, end_ms)
            )

    def _broker_mid(self, broker: int) -> float:
        return self.lane_y[f"b{broker}"] + LANE_HEIGHT_PX / 2

    def _close_partition(self, t_ms: float) -> None:
        if self.partition_since is None:
            return
        start_ms, label = self.partition_since
        axis = self.axis
        self.bands.append(
            Band(
                x=axis.x(start_ms),
                y=self.lane_y["network"],
                width=max(axis.x(t_ms) - axis.x(start_ms), MIN_BAR_WIDTH_PX),
                height=self.lanes_y1 - self.lane_y["network"],
                kind="partition",
                label=label,
                title=f"network partition {label} [t={start_ms:g}–{t_ms:g} ms]",
            )
        )
        self.partition_since = None

    def _down(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        kind = str(event.get("kind"))
        lost = event.get("lost") or {}
        lost_text = ", ".join(f"{n} of {p}" for p, n in sorted(lost.items()) if n)
        label = {"crash": "crashed", "power-loss": "power lost"}.get(kind, "disk replaced")
        kind = "power-loss" if kind == "replace-disk" else kind  # the same band style
        if lost_text:
            label += f" (lost {lost_text})"
        self.down_since.setdefault(int(event["broker"]), (t_ms, kind, label))

    def _restart(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        broker = int(event["broker"])
        if broker in self.down_since:
            start_ms, kind, label = self.down_since.pop(broker)
            self.bands.append(
                _down_band(self.axis, self.lane_y, broker, start_ms, kind, label, t_ms)
            )
        title = f"broker {broker} restarts [t={t_ms:g} ms]"
        self.markers.append(Marker(x, self._broker_mid(broker), "restart", "", title))

    def _partition(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        self._close_partition(t_ms)
        groups = event.get("groups") or []
        label = " | ".join(" ".join(sorted(map(str, group), key=_node_key)) for group in groups)
        self.partition_since = (t_ms, label)

    def _heal(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        self._close_partition(t_ms)
        title = f"network heals [t={t_ms:g} ms]"
        self.markers.append(Marker(x, self.net_mid, "heal", "heal", title))

    def _controller(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        epoch = event.get("controller_epoch")
        title = f"controller failover → controller epoch {epoch} [t={t_ms:g} ms]"
        self.markers.append(Marker(x, self.net_mid, "controller", f"controller e{epoch}", title))

    def _message_faults(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        loss = float(event.get("loss", 0))
        lo, hi = event.get("delay_lo_ms"), event.get("delay_hi_ms")
        title = f"message loss {loss:.0%}, delay {lo}–{hi} ms [t={t_ms:g} ms]"
        self.markers.append(Marker(x, self.net_mid, "faults", f"loss {loss:.0%}", title))

    def _leader(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        self.markers.extend(
            _leader_markers(event, self.leaders, self.lane_y, x, self.net_mid, self.many_partitions)
        )

    def _truncate(self, event: Mapping[str, Any], t_ms: float, x: float) -> None:
        broker = int(event["broker"])
        partition, offset = event.get("partition"), event.get("offset")
        prefix = f"{partition} " if self.many_partitions else ""
        title = f"broker {broker} truncates {partition} to offset {offset} [t={t_ms:g} ms]"
        self.markers.append(
            Marker(x, self._broker_mid(broker), "truncate", f"{prefix}✂{offset}", title)
        )


def _node_key(node: str) -> tuple[int, int, str]:
    if node[:1] in "bc" and node[1:].isdigit():
        return (0 if node[0] == "b" else 1, int(node[1:]), node)
    return (2, 0, node)


def _broker_colour(broker: int) -> str:
    return BROKER_COLOURS[(broker - 1) % len(BROKER_COLOURS)]


def _bar_label(invoke: Mapping[str, Any], done: Mapping[str, Any] | None) -> str:
    if invoke.get("f") == "send":
        text = str(invoke.get("value"))
        if done is not None and done.get("type") == "ok":
            text += f"@{done.get('offset')}"
        return text
    text = f"poll@{invoke.get('offset')}"
    if done is not None and done.get("type") == "ok":
        text += f"→{len(done.get('value') or [])}"
    return text


def _down_band(
    axis: TimeAxis,
    lane_y: Mapping[str, float],
    broker: int,
    start_ms: float,
    kind: str,
    label: str,
    end_ms: float,
) -> Band:
    x_a, x_b = axis.x(start_ms), axis.x(end_ms)
    return Band(
        x=x_a,
        y=lane_y[f"b{broker}"] + 2,
        width=max(x_b - x_a, MIN_BAR_WIDTH_PX),
        height=LANE_HEIGHT_PX - 4,
        kind=kind,
        label=label,
        title=f"broker {broker} {label} [t={start_ms:g}–{end_ms:g} ms]",
    )


def _leader_markers(
    event: Mapping[str, Any],
    leaders: dict[str, tuple[Any, Any, tuple[int, ...]]],
    lane_y: Mapping[str, float],
    x: float,
    net_mid: float,
    many_partitions: bool,
) -> list[Marker]:
    partition = str(event.get("partition"))
    leader = event.get("leader")
    epoch = event.get("leader_epoch")
    isr = tuple(event.get("isr") or ())
    previous = leaders.get(partition)
    leaders[partition] = (leader, epoch, isr)
    prefix = f"{partition} " if many_partitions else ""
    isr_text = ",".join(map(str, isr)) or "empty"
    when = f"[t={event['time_ms']:g} ms]"
    title = f"{partition}: leader {leader}, epoch {epoch}, ISR {isr_text} {when}"
    if leader in (None, -1) or f"b{leader}" not in lane_y:
        return [Marker(x, net_mid, "offline", f"{prefix}no leader", title)]
    mid = lane_y[f"b{leader}"] + LANE_HEIGHT_PX / 2
    if previous is not None and previous[0] == leader and previous[1] == epoch:
        return [Marker(x, mid, "isr", f"{prefix}ISR {isr_text}", title)]
    return [Marker(x, mid, "leader", f"{prefix}L e{epoch} ISR {isr_text}", title)]


def _offset_points(
    partition: str, events: Sequence[Mapping[str, Any]], brokers: Sequence[int]
) -> tuple[
    dict[int, list[tuple[float, int]]], dict[int, list[tuple[float, int]]], list[tuple[float, Any]]
]:
    """(time, LEO) and (time, HW) per broker, and (time, leader), of one partition."""
    leo: dict[int, list[tuple[float, int]]] = {b: [] for b in brokers}
    hw: dict[int, list[tuple[float, int]]] = {b: [] for b in brokers}
    leader_at: list[tuple[float, Any]] = []
    for event in events:
        if str(event.get("partition")) != partition:
            continue
        kind = event.get("kind")
        if kind == "leo" and event.get("broker") in leo:
            leo[event["broker"]].append((float(event["time_ms"]), int(event["leo"])))
        elif kind == "hw" and event.get("broker") in hw:
            hw[event["broker"]].append((float(event["time_ms"]), int(event["hw"])))
        elif kind == "leader":
            leader_at.append((float(event["time_ms"]), event.get("leader")))
    return leo, hw, leader_at


def _leader_hw(
    leader_at: Sequence[tuple[float, Any]], hw: Mapping[int, Sequence[tuple[float, int]]]
) -> list[tuple[float, int | None]]:
    """The partition's high watermark over time: the current leader's (None: no leader)."""
    leader_hw: list[tuple[float, int | None]] = []
    changes: list[tuple[float, int, Any]] = sorted(
        [(t, 0, b) for t, b in leader_at]
        + [(t, 1, (b, v)) for b, points in hw.items() for t, v in points],
        key=lambda item: (item[0], item[1]),
    )
    leader: Any = None
    last_hw: dict[int, int] = {}
    for t_ms, kind, payload in changes:
        if kind == 0:
            leader = payload
        else:
            broker, value = payload
            last_hw[broker] = value
        current = last_hw.get(leader) if leader not in (None, -1) else None
        if not leader_hw or leader_hw[-1][1] != current:
            leader_hw.append((t_ms, current))
    return leader_hw


def _offset_chart(
    partition: str,
    events: Sequence[Mapping[str, Any]],
    axis: TimeAxis,
    brokers: Sequence[int],
    chart_y: float,
    end_ms: float,
    guides: Sequence[tuple[int, str, str]],
) -> OffsetChart:
    leo, hw, leader_at = _offset_points(partition, events, brokers)
    leader_hw = _leader_hw(leader_at, hw)
    top = max(
        [v for points in leo.values() for _, v in points]
        + [v for _, v in leader_hw if v is not None]
        + [offset + 1 for offset, _, _ in guides]
        + [1]
    )
    inner_y0 = chart_y + 6
    inner_h = CHART_HEIGHT_PX - 12

    def y_of(offset: float) -> float:
        return inner_y0 + inner_h * (1 - offset / top)

    series = []
    for position, broker in enumerate(brokers):
        if not leo[broker]:
            continue
        # Replicas that agree would hide each other: nudge each line by a pixel or two.
        nudge_px = (position - (len(brokers) - 1) / 2) * 2.0

        def y_nudged(offset: float, nudge_px: float = nudge_px) -> float:
            return y_of(offset) + nudge_px

        series.append(
            Series(
                kind="leo",
                label=f"LEO broker {broker}",
                colour=_broker_colour(broker),
                points=_step_points(leo[broker], axis, y_nudged, end_ms),
                title=f"log end offset of broker {broker} on {partition}: "
                + ", ".join(f"{v}@{t:g}ms" for t, v in leo[broker][:40]),
            )
        )
    segments = _split_none(leader_hw)
    for segment in segments:
        series.append(
            Series(
                kind="hw",
                label="HW (leader)",
                colour="#111",
                points=_step_points(segment[0], axis, y_of, segment[1]),
                title=f"high watermark of {partition} (as the current leader reports it)",
            )
        )
    step = max(1, round(top / 5))
    y_ticks = [(y_of(v), str(v)) for v in range(0, top + 1, step)]
    chart_guides = [Guide(y_of(offset + 0.5), label, title) for offset, label, title in guides]
    return OffsetChart(partition, chart_y, CHART_HEIGHT_PX, y_ticks, series, chart_guides)


def _split_none(
    points: Sequence[tuple[float, int | None]],
) -> list[tuple[list[tuple[float, int]], float]]:
    """Runs of known values, each with the time it ends (HW is unknown without a leader)."""
    segments: list[tuple[list[tuple[float, int]], float]] = []
    current: list[tuple[float, int]] = []
    for t_ms, value in points:
        if value is None:
            if current:
                segments.append((current, t_ms))
            current = []
        else:
            current.append((t_ms, value))
    if current:
        segments.append((current, float("inf")))
    return segments


def _step_points(
    points: Sequence[tuple[float, int]], axis: TimeAxis, y_of: Any, end_ms: float
) -> str:
    assert points
    coords: list[tuple[float, float]] = []
    for i, (t_ms, value) in enumerate(points):
        x = axis.x(t_ms)
        if i:
            coords.append((x, coords[-1][1]))
        coords.append((x, y_of(value)))
    x_end = axis.x(min(end_ms, axis.times[-1]))
    coords.append((max(x_end, coords[-1][0]), coords[-1][1]))
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)


# Fault steps and the cluster event each one leaves behind (one event per applied step).
_STEP_EVENT = VOCABULARY.events


def step_times_ms(
    steps: Sequence[StepInput],
    history: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
) -> dict[int, float]:
    """When each client-op or fault step happened, matched in order to what it recorded.

    A send/poll step is its client's next invoke of that kind; a fault step is the next
    event of its kind. Steps that left no trace (skipped, ticks) get no time. The match
    only ever moves forward, so a mismatch costs a label, never a wrong order.
    """
    invokes: dict[tuple[Any, str], list[Mapping[str, Any]]] = {}
    for op in history:
        if op.get("type") == "invoke" and not op.get("final"):
            invokes.setdefault((op.get("process"), str(op.get("f"))), []).append(op)
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        by_kind.setdefault(str(event.get("kind")), []).append(event)
    times: dict[int, float] = {}
    floor_ms = 0.0
    for number, kind, args, _, outcome in steps:
        if "skipped" in outcome:
            continue
        found_ms: float | None = None
        if kind in ("send", "poll"):
            queue = invokes.get((args.get("process"), kind), [])
            if queue:
                found_ms = _op_ms(queue.pop(0))
        elif kind in _STEP_EVENT:
            queue = by_kind.get(_STEP_EVENT[kind], [])
            while queue and float(queue[0]["time_ms"]) < floor_ms:
                queue.pop(0)
            if queue:
                found_ms = float(queue.pop(0)["time_ms"])
        if found_ms is not None and found_ms >= floor_ms:
            times[number] = floor_ms = found_ms
    return times


def _step_marks(
    steps: Sequence[StepInput],
    history: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    axis: TimeAxis,
) -> list[StepMark]:
    texts = {step[0]: step[3] for step in steps}
    placed = sorted((axis.x(t), n) for n, t in step_times_ms(steps, history, events).items())
    marks: list[StepMark] = []
    group: list[tuple[float, int]] = []

    def flush() -> None:
        if not group:
            return
        first, last = group[0][1], group[-1][1]
        label = str(first) if first == last else f"{first}–{last}"
        title = "\n".join(f"step {n}: {texts[n]}" for _, n in group)
        marks.append(StepMark(group[0][0], label, title))
        group.clear()

    def label_end(members: list[tuple[float, int]]) -> float:
        first, last = members[0][1], members[-1][1]
        text = str(first) if first == last else f"{first}–{last}"
        return members[0][0] + len(text) * CHAR_WIDTH_PX + STEP_GAP_PX

    for x, number in placed:
        # Join the current group while this step would sit under the group's label.
        if group and x >= label_end([*group, (x, number)]):
            flush()
        group.append((x, number))
    flush()
    return marks


def _band_label_text(band: Band) -> str:
    return f"✂ {band.label}" if band.kind == "partition" and band.label else band.label


def _band_notes(bands: Sequence[Band]) -> list[Marker]:
    """A crash or power-loss band too narrow for its label gets the label as a note beside
    it (placed like any marker label, so it may move up a row or fall back to the tooltip)."""
    notes = []
    for band in bands:
        if band.label or band.kind == "partition":
            continue
        centre = band.y - 2 + LANE_HEIGHT_PX / 2
        short = "power lost" if band.kind == "power-loss" else "crashed"
        notes.append(Marker(band.x + band.width, centre, "note", short, band.title))
    return notes


def _fit_band_labels(bands: list[Band]) -> list[Band]:
    """Drop a band's label (its tooltip keeps it) when the text would run past the band or
    into the next band's label in the same lane."""
    out = []
    for band in bands:
        room = band.width - 6
        for other in bands:
            if other.y == band.y and other.x > band.x:
                room = min(room, other.x - band.x - 6)
        label = band.label
        if len(_band_label_text(band)) * CHAR_WIDTH_PX > room:
            label = ""
        out.append(replace(band, label=label))
    return out


def _band_label_spans(bands: Sequence[Band]) -> dict[float, list[tuple[float, float]]]:
    """Where band labels sit, by the centre line of their lane (marker labels avoid them)."""
    spans: dict[float, list[tuple[float, float]]] = {}
    for band in bands:
        if not band.label:
            continue
        centre = band.y + LANE_HEIGHT_PX / 2 - (0 if band.kind == "partition" else 2)
        start = band.x + 4
        label = _band_label_text(band)
        spans.setdefault(centre, []).append((start, start + len(label) * CHAR_WIDTH_PX))
    return spans


def _declutter(
    markers: list[Marker], obstacles: Mapping[float, Sequence[tuple[float, float]]] | None = None
) -> list[Marker]:
    """Keep marker labels from overlapping: a label stays beside its glyph when it clears
    the previous label, the next glyph and any band label in its lane, else moves up a row;
    when both rows are taken it is dropped (the tooltip still has it)."""
    out: list[Marker] = []
    row_end: dict[tuple[float, int], float] = {}
    ordered = sorted(markers, key=lambda m: (m.y, m.x))
    for i, marker in enumerate(ordered):
        if not marker.label:
            out.append(marker)
            continue
        start = marker.x + 6
        end = start + len(marker.label) * CHAR_WIDTH_PX
        following = ordered[i + 1] if i + 1 < len(ordered) else None
        next_glyph_x = following.x - 7 if following and following.y == marker.y else math.inf
        blocked = any(a < end and start < b for a, b in (obstacles or {}).get(marker.y, ()))
        for row, dy in ((0, 0.0), (1, -11.0)):
            clear = row == 1 or (end < next_glyph_x and not blocked)
            if clear and row_end.get((marker.y, row), -math.inf) < start:
                row_end[(marker.y, row)] = end
                out.append(Marker(marker.x, marker.y, marker.kind, marker.label, marker.title, dy))
                break
        else:
            out.append(Marker(marker.x, marker.y, marker.kind, "", marker.title))
    return out
