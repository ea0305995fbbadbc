"""The report page of a node run: one self-contained HTML file, no script, no fetch.

It shows what the author of a node needs to see, in the order they need it: the verdict
and how reliably it reproduces, the commands to re-run it, the numbered steps with their
outcomes, the verdict's evidence, the message-sequence view of the minimized run (hover an
arrow for its body) and each node's stderr tail. Every string that came from a node or a
history (payloads, stderr, message types, error texts) goes through `escape`; the page's
Content-Security-Policy forbids scripts and remote loads, so a hostile payload can neither
run nor phone home.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from replicheck import __version__
from replicheck.nodes.sequence import render_svg, step_labels
from replicheck.nodes.steps import CLIENT_KINDS
from replicheck.nodes.target import NodeRun

STYLE = """
body { font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; color: #1d1d1f; margin: 0;
       background: #fafafa; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 6px; } h1.violation { color: #a30000; }
h1.ok { color: #1e6b34; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table.facts td { padding: 1px 12px 1px 0; vertical-align: top; }
table.facts td:first-child { font-weight: 600; white-space: nowrap; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f3f3f3; border: 1px solid #e2e2e2; border-radius: 4px; padding: 8px 10px;
      overflow-x: auto; white-space: pre; }
ol.steps li.fault .what { font-weight: 600; } ol.steps .outcome { color: #555; }
.seq { overflow: auto; max-height: 80vh; background: #fff; border: 1px solid #e2e2e2; }
details { margin: 4px 0; } summary { cursor: pointer; }
"""


@dataclass(frozen=True)
class PageFacts:
    """What the page says about the run beyond the run itself."""

    title: str
    reproduced: tuple[int, int] | None = None
    replay_command: str | None = None
    search_command: str | None = None
    found_steps: int | None = None  # how long the run was before minimizing
    examples: int | None = None


def _facts_table(run: NodeRun, facts: PageFacts) -> str:
    rows = [
        ("command", f"<code>{escape(' '.join(run.command))}</code>"),
        ("nodes", escape(", ".join(run.node_ids))),
        ("seed", str(run.seed)),
        ("steps", str(len(run.steps))),
    ]
    if facts.found_steps is not None:
        rows.append(("found as", f"{facts.found_steps} steps, minimized to {len(run.steps)}"))
    if facts.examples is not None:
        rows.append(("examples run", str(facts.examples)))
    if facts.reproduced is not None:
        k, n = facts.reproduced
        rows.append(("reproduced", f"{k}/{n} re-runs of these steps"))
    if facts.replay_command:
        rows.append(("replay", f"<code>{escape(facts.replay_command)}</code>"))
    if facts.search_command:
        rows.append(("search again", f"<code>{escape(facts.search_command)}</code>"))
    body = "".join(f"<tr><td>{name}</td><td>{value}</td></tr>" for name, value in rows)
    return f'<table class="facts">{body}</table>'


def _steps_list(run: NodeRun) -> str:
    items = []
    for step, outcome in zip(run.steps, run.step_outcomes, strict=True):
        kind = "client" if step.kind in CLIENT_KINDS else "fault"
        items.append(
            f'<li class="{kind}"><span class="what">{escape(step.describe())}</span> '
            f'<span class="outcome">{escape(outcome)}</span></li>'
        )
    then = "<p>then: network heals, paused nodes resume, final read of every key from offset 0</p>"
    return '<ol class="steps">' + "".join(items) + "</ol>" + then


def _stderr_sections(tails: dict[str, str]) -> str:
    if not tails:
        return "<p>No node wrote to stderr.</p>"
    parts = []
    for node, tail in sorted(tails.items()):
        lines = tail.count("\n") + 1 if tail else 0
        parts.append(
            f"<details><summary>{escape(node)} ({lines} line(s))</summary>"
            f"<pre>{escape(tail) or '(empty)'}</pre></details>"
        )
    return "".join(parts)


def render_page(run: NodeRun, facts: PageFacts, files: Sequence[str] = ()) -> str:
    """The whole page for `run` (usually the minimized run of a hunt or replay)."""
    verdict = run.verdict
    heading = (
        f'<h1 class="violation">Violation: {escape(", ".join(verdict.anomaly_names))}</h1>'
        if not verdict.valid
        else '<h1 class="ok">No violation</h1>'
    )
    file_list = "".join(f'<li><a href="{escape(f)}">{escape(f)}</a></li>' for f in files)
    sections = [
        heading,
        _facts_table(run, facts),
        "<h2>Steps</h2>",
        _steps_list(run),
        "<h2>Verdict</h2>",
        f"<pre>{escape(verdict.render_text())}</pre>",
        f"<h2>Message sequence ({len(run.messages)} messages)</h2>",
        "<p>A lane per node, service and client; one arrow per message in send order; "
        "a dropped message ends in ✕; a dashed rule marks where each step began. "
        "Hover an arrow for its body.</p>",
        f'<div class="seq">{render_svg(run.messages, marks=step_labels(run.step_marks))}</div>',
        "<h2>Each node's stderr (last lines)</h2>",
        _stderr_sections(run.stderr_tails),
    ]
    if file_list:
        sections += ["<h2>Files</h2>", f"<ul>{file_list}</ul>"]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            f'<meta name="generator" content="replicheck {escape(__version__)}">',
            f"<title>replicheck nodes: {escape(facts.title)}</title>",
            f"<style>{STYLE}</style></head><body><main>",
            *sections,
            "</main></body></html>",
            "",
        ]
    )
