"""The report folder of a node run: what `hunt --node` and `replay` of a node case write.

    <report-dir>/nodes-<anomaly>-<hash>/
        report.html      the page: verdict, reproduction rate, steps, evidence, the
                         message-sequence view, each node's stderr tail (page.py)
        story.txt        the same as text (plus, if minimized, the run as first found)
        case.json        the node case: replay it with `replicheck replay`
        history.jsonl    the whole history;  log.jsonl  sends and polls only
        messages.jsonl   the message log;  sequence.txt / sequence.svg  render it
        stderr/<node>.txt  each node's stderr tail
        found/           the failing run as first found, before minimizing (same files)

The folder name's hash covers what decides the run (command, nodes, seed, bounds, steps),
so the same case lands in the same folder, a different one never collides with it.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from replicheck.nodes.artifacts import story_text, write_run
from replicheck.nodes.case import NodeCase
from replicheck.nodes.page import PageFacts, render_page
from replicheck.nodes.target import NodeRun

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
FILES = (
    "story.txt",
    "case.json",
    "history.jsonl",
    "log.jsonl",
    "messages.jsonl",
    "sequence.txt",
    "sequence.svg",
)


def report_name(case: NodeCase, run: NodeRun) -> str:
    """`nodes-lost-write-1a2b3c4d`; `nodes-none-…` for a clean run."""
    names = run.verdict.ranked_anomaly_names
    anomaly = names[0] if names else "none"
    return _UNSAFE.sub("_", f"nodes-{anomaly}-{case.short_hash()}")


def _header(facts: PageFacts) -> list[str]:
    lines = []
    if facts.reproduced is not None:
        lines.append(f"reproduced: {facts.reproduced[0]}/{facts.reproduced[1]} re-runs")
    if facts.replay_command:
        lines.append(f"replay: {facts.replay_command}")
    if facts.search_command:
        lines.append(f"search again: {facts.search_command}")
    return lines


def write_report(
    run: NodeRun,
    report_dir: Path,
    case: NodeCase,
    facts: PageFacts,
    *,
    found: NodeRun | None = None,
) -> Path:
    """Write the folder for `run` (the minimized run) under `report_dir`; return it.

    `found` is the failing run before minimizing; it gets a `found/` subfolder when it
    differs from `run`. An OSError propagates: the caller has printed the finding first."""
    folder = report_dir / report_name(case, run)
    case_path = folder / "case.json"
    if facts.replay_command is None:
        facts = dataclasses.replace(facts, replay_command=f"replicheck replay {case_path}")
    write_run(run, folder, _header(facts))
    case.save(case_path)
    files = [*FILES, *(f"stderr/{node}.txt" for node in sorted(run.stderr_tails))]
    if found is not None and found is not run:
        write_run(found, folder / "found", ["(the failing run as first found, before minimizing)"])
        with (folder / "story.txt").open("a", encoding="utf-8") as story:
            story.write(f"\n-- as first found ({len(found.steps)} steps) --\n")
            story.write(story_text(found))
        files.append("found/story.txt")
    (folder / "report.html").write_text(render_page(run, facts, files), encoding="utf-8")
    return folder
