"""The message-sequence view of a node run: a lane per node, service and client, an arrow
per message (Maelstrom users know the picture from its Lamport diagrams).

`render_text` gives one line per message in send order (for stories and terminals);
`render_svg` a self-contained SVG: lanes left to right, time downwards, a dropped message
ends in a cross where it was lost. Every payload-derived string is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

LANE_PX = 120
ROW_PX = 18
TOP_PX = 40


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


def render_svg(messages: Sequence[dict[str, Any]], limit: int = 400) -> str:
    shown = list(messages[:limit])
    names = lanes(shown)
    x = {name: LANE_PX // 2 + i * LANE_PX for i, name in enumerate(names)}
    height = TOP_PX + ROW_PX * (len(shown) + 1)
    width = max(LANE_PX * len(names), LANE_PX)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="monospace" font-size="11">'
    ]
    for name in names:
        out.append(f'<text x="{x[name]}" y="16" text-anchor="middle">{escape(name)}</text>')
        out.append(f'<line x1="{x[name]}" y1="24" x2="{x[name]}" y2="{height}" stroke="#bbb"/>')
    for row, m in enumerate(shown):
        y = TOP_PX + row * ROW_PX
        x1, x2 = x[m["src"]], x[m["dest"]]
        dropped = m["fate"] != "sent"
        end = x1 + (x2 - x1) // 2 if dropped else x2
        colour = "#c0392b" if dropped else "#2c3e50"
        out.append(
            f'<line x1="{x1}" y1="{y}" x2="{end}" y2="{y + ROW_PX // 2}" stroke="{colour}"/>'
        )
        if dropped:
            out.append(
                f'<text x="{end}" y="{y + ROW_PX // 2 + 4}" fill="{colour}" text-anchor="middle">✕</text>'
            )
        label = escape(f"{m['type']}" + (f" ({m['fate']})" if dropped else ""))
        out.append(
            f'<text x="{(x1 + end) // 2}" y="{y - 2}" fill="{colour}" text-anchor="middle">{label}</text>'
        )
    if len(messages) > limit:
        out.append(f'<text x="4" y="{height - 4}">… {len(messages) - limit} more messages</text>')
    out.append("</svg>")
    return "\n".join(out)
