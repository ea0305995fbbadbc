"""The message-sequence view of a node run: a lane per node, service and client, an arrow
per message (Maelstrom users know the picture from its Lamport diagrams).

`render_text` gives one line per message in send order (for stories and terminals);
`render_svg` a self-contained SVG: lanes left to right, time downwards, a dropped message
ends in a cross where it was lost. Every payload-derived string is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

LANE_PX = 120
ROW_PX = 18
TOP_PX = 40
TOOLTIP_CHARS = 400
MARK_PX = 70  # the left margin that holds the step labels


def lanes(messages: Sequence[dict[str, Any]]) -> list[str]:
    """Nodes first (n0, n1, …), then services, then clients, each in order of appearance."""
    seen: list[str] = []
    for m in messages:
        for name in (m["src"], m["dest"]):
            if name not in seen:
                seen.append(name)

    def order(name: str) -> tuple[int, int, str]:
        kind = (
            0
            if name[:1] == "n" and name[1:].isdigit()
            else 2
            if name[:1] == "c" and name[1:].isdigit()
            else 1
        )
        number = int(name[1:]) if kind != 1 else 0
        return kind, number, name

    return sorted(seen, key=order)


def render_text(messages: Sequence[dict[str, Any]], limit: int = 200) -> str:
    lines = []
    for m in messages[:limit]:
        arrow = "──▶" if m["fate"] == "sent" else "──✕"
        fate = "" if m["fate"] == "sent" else f"  ({m['fate']})"
        dup = f"  (delivered ×{len(m['delivered_ms'])})" if len(m["delivered_ms"]) > 1 else ""
        lines.append(
            f"{m['sent_ms']:9.1f} ms  {m['src']:>7} {arrow} {m['dest']:<7} {m['type']}{fate}{dup}"
        )
    if len(messages) > limit:
        lines.append(f"… {len(messages) - limit} more messages")
    return "\n".join(lines)


def _tooltip(m: dict[str, Any]) -> str:
    """What hovering an arrow shows: when, its fate and the body (clipped), escaped."""
    body = json.dumps(m.get("body", {}), sort_keys=True)
    if len(body) > TOOLTIP_CHARS:
        body = body[:TOOLTIP_CHARS] + "…"
    delivered = ", ".join(f"{t:.1f}" for t in m["delivered_ms"]) or "never"
    text = (
        f"#{m['seq']} {m['src']} → {m['dest']} {m['type']}  sent {m['sent_ms']:.1f} ms, "
        f"delivered {delivered}; {m['fate']}\n{body}"
    )
    return escape(text)


def step_labels(step_marks: Sequence[int]) -> list[tuple[int, str]]:
    """`NodeRun.step_marks` as `render_svg` marks: "step 1", "step 2", …, "final read"."""
    count = len(step_marks) - 1
    return [(m, f"step {i}" if i <= count else "final read") for i, m in enumerate(step_marks, 1)]


def render_svg(
    messages: Sequence[dict[str, Any]],
    limit: int = 400,
    marks: Sequence[tuple[int, str]] = (),
) -> str:
    """Lanes left to right, one row per message in send order; hover shows the body.

    `marks` are (message index, label) pairs: a dashed rule above that message's row says
    where a step began ("step 3"), so each arrow can be traced to the step that caused it."""
    shown = list(messages[:limit])
    names = lanes(shown)
    x = {name: MARK_PX + LANE_PX // 2 + i * LANE_PX for i, name in enumerate(names)}
    height = TOP_PX + ROW_PX * (len(shown) + 1)
    width = MARK_PX + max(LANE_PX * len(names), LANE_PX)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{width}" '
        f'height="{height}" font-family="monospace" font-size="11">',
        '<defs><marker id="seq-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#2c3e50"/></marker></defs>',
    ]
    for name in names:
        out.append(f'<text x="{x[name]}" y="16" text-anchor="middle">{escape(name)}</text>')
        out.append(f'<line x1="{x[name]}" y1="24" x2="{x[name]}" y2="{height}" stroke="#bbb"/>')
    for index, label in marks:
        if 0 <= index <= len(shown):
            y = TOP_PX + index * ROW_PX - ROW_PX // 2 - 3
            out.append(
                f'<g class="mark"><line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="#6a5acd" '
                f'stroke-dasharray="3 3"/><text x="2" y="{y + 11}" fill="#6a5acd">'
                f"{escape(label)}</text></g>"
            )
    for row, m in enumerate(shown):
        out.append(_arrow(m, x[m["src"]], x[m["dest"]], TOP_PX + row * ROW_PX))
    if len(messages) > limit:
        out.append(f'<text x="4" y="{height - 4}">… {len(messages) - limit} more messages</text>')
    out.append("</svg>")
    return "\n".join(out)


def _arrow(m: dict[str, Any], x1: int, x2: int, y: int) -> str:
    dropped = m["fate"] != "sent"
    end = x1 + (x2 - x1) // 2 if dropped else x2
    colour = "#c0392b" if dropped else "#2c3e50"
    head = "" if dropped else ' marker-end="url(#seq-arrow)"'
    parts = [
        f'<g class="{"dropped" if dropped else "delivered"}"><title>{_tooltip(m)}</title>',
        f'<line x1="{x1}" y1="{y}" x2="{end}" y2="{y + ROW_PX // 2}" stroke="{colour}"{head}/>',
    ]
    if dropped:
        parts.append(
            f'<text x="{end}" y="{y + ROW_PX // 2 + 4}" fill="{colour}" '
            'text-anchor="middle">✕</text>'
        )
    copies = len(m["delivered_ms"])
    label = escape(
        f"{m['type']}"
        + (f" ({m['fate']})" if dropped else "")
        + (f" ×{copies}" if copies > 1 else "")
    )
    parts.append(
        f'<text x="{(x1 + end) // 2}" y="{y - 2}" fill="{colour}" '
        f'text-anchor="middle">{label}</text></g>'
    )
    return "".join(parts)
