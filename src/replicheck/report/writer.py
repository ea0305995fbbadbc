"""Write one report folder for a finished run: report.md, report.html, history.jsonl, case.json.

The folder is named `<flaw-or-correct>-<anomaly>-<shorthash>`, where the hash covers the
configuration, seed and steps: the same scenario always lands in the same folder (and
rewrites identical bytes), a different one never collides with it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from replicheck.report import summary
from replicheck.report.case import case_from_result, save_case
from replicheck.report.html import render_html
from replicheck.report.markdown import render_markdown
from replicheck.stateful.result import RunResult

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def report_name(result: RunResult) -> str:
    """`truncate-to-hw-lost-write-1a2b3c4d`, `correct-none-…` for a clean run."""
    case = case_from_result(result)
    subject = case.flaw or "correct"
    ranked = result.ranked_anomaly_names
    anomaly = ranked[0] if ranked else "none"
    name = f"{subject}-{anomaly}-{case.short_hash()}"
    return _UNSAFE.sub("_", name)


def history_jsonl(history: Sequence[Mapping[str, Any]]) -> bytes:
    """The history in the interchange format: one JSON object per line."""
    return b"".join(orjson.dumps(op) + b"\n" for op in history)


def write_report(
    result: RunResult,
    report_dir: Path | str,
    *,
    command: str | None = None,
    search_command: str | None = None,
) -> Path:
    """Write the report folder for `result` under `report_dir`; return the folder.

    `command` is the command line that found the failure (shown in the report);
    `search_command` re-runs the search (default: `command`, else `replicheck hunt --flaw …`).
    """
    report_dir = Path(report_dir)
    folder = report_dir / report_name(result)
    folder.mkdir(parents=True, exist_ok=True)
    case_path = folder / "case.json"
    replay_command = f"replicheck replay {shlex.quote(str(case_path))}"
    search = search_command or command or summary.default_search_command(result)

    save_case(case_from_result(result), case_path)
    (folder / "history.jsonl").write_bytes(history_jsonl(result.history))
    found_by = command if command and command != search else None
    markdown = render_markdown(
        result, replay_command=replay_command, search_command=search, found_by=found_by
    )
    (folder / "report.md").write_text(markdown, encoding="utf-8")
    page = render_html(
        result, replay_command=replay_command, search_command=search, found_by=found_by
    )
    (folder / "report.html").write_text(page, encoding="utf-8")
    assert all((folder / name).is_file() for name in ("report.md", "report.html", "case.json"))
    return folder
