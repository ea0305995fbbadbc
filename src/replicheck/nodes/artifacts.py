"""Write a node run's files to a folder, for a person (or a tool) to look at; the report
folder (report.py) is built from these plus its page and the case.

    story.txt        the steps with their outcomes, then the verdict
    history.jsonl    the whole history (sends, polls, commits, listings)
    log.jsonl        sends and polls only: `replicheck check log.jsonl --model log`
    messages.jsonl   the message log; sequence.txt / sequence.svg render it
    stderr/<node>.txt  each node's stderr tail
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from replicheck.nodes.sequence import render_svg, render_text, step_labels
from replicheck.nodes.target import NodeRun


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def story_text(run: NodeRun, extra_header: Sequence[str] = ()) -> str:
    """The run as text: what ran, the numbered steps with their outcomes, the verdict."""
    header = [
        f"command: {shlex.join(run.command)}",
        f"nodes: {', '.join(run.node_ids)}",
        f"seed: {run.seed}",
        *extra_header,
        "",
    ]
    final = "   then: network heals, paused nodes resume, final read of every key from offset 0"
    return "\n".join([*header, run.story(), final, "", run.verdict.render_text(), ""])


def write_run(run: NodeRun, directory: Path, extra_header: Sequence[str] = ()) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "story.txt").write_text(story_text(run, extra_header), encoding="utf-8")
    (directory / "history.jsonl").write_text(_jsonl(run.history))
    (directory / "log.jsonl").write_text(_jsonl(run.log_ops()))
    (directory / "messages.jsonl").write_text(_jsonl(run.messages))
    (directory / "sequence.txt").write_text(
        render_text(run.messages, limit=len(run.messages)) + "\n"
    )
    marks = step_labels(run.step_marks)
    (directory / "sequence.svg").write_text(render_svg(run.messages, marks=marks) + "\n")
    stderr = directory / "stderr"
    stderr.mkdir(exist_ok=True)
    for node, tail in run.stderr_tails.items():
        (stderr / f"{node}.txt").write_text(tail + "\n")
    return directory
