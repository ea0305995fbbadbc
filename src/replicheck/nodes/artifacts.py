"""Write a node run to a folder, for a person to look at: the files a future report folder
will be built from (docs/nodes.md, "Pending").

    story.txt        the steps with their outcomes, then the verdict
    history.jsonl    the whole history (sends, polls, commits, listings)
    log.jsonl        sends and polls only: `replicheck check log.jsonl --model log`
    messages.jsonl   the message log; sequence.txt / sequence.svg render it
    stderr/<node>.txt  each node's stderr tail
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from replicheck.nodes.sequence import render_svg, render_text
from replicheck.nodes.target import NodeRun


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def write_run(run: NodeRun, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    header = [
        f"command: {' '.join(run.command)}",
        f"nodes: {', '.join(run.node_ids)}",
        f"seed: {run.seed}",
        "",
    ]
    (directory / "story.txt").write_text(
        "\n".join([*header, run.story(), "", run.verdict.render_text(), ""])
    )
    (directory / "history.jsonl").write_text(_jsonl(run.history))
    (directory / "log.jsonl").write_text(_jsonl(run.log_ops()))
    (directory / "messages.jsonl").write_text(_jsonl(run.messages))
    (directory / "sequence.txt").write_text(
        render_text(run.messages, limit=len(run.messages)) + "\n"
    )
    (directory / "sequence.svg").write_text(render_svg(run.messages) + "\n")
    stderr = directory / "stderr"
    stderr.mkdir(exist_ok=True)
    for node, tail in run.stderr_tails.items():
        (stderr / f"{node}.txt").write_text(tail + "\n")
    return directory
