"""report.md: the failure told in Markdown, readable raw in a terminal and rendered on a forge.

Every `{{ }}` in the template goes through `md_escape` (jinja2's `finalize` hook, the
Markdown counterpart of HTML autoescaping), so a message such as `<script>` or `*x*`
reaches the reader as text. Only `Verbatim` values skip it: fenced code blocks built by
`fenced`, whose fence is longer than any backtick run inside, so nothing breaks out.
"""

from __future__ import annotations

import re

import jinja2

from replicheck.report import summary
from replicheck.report.analysis import log_tables
from replicheck.stateful.result import RunResult


class Verbatim(str):
    """Text the template must emit as is (already safe Markdown)."""

    __slots__ = ()


_SPECIAL = re.compile(r"[\\`*\[\]|~<>&]|_(?![0-9A-Za-z])|(?<![0-9A-Za-z])_")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_escape(value: object) -> str:
    """Make any value inert inline Markdown (and inert HTML, which Markdown passes through)."""
    if isinstance(value, Verbatim):
        return value
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ⏎ ")

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return _ENTITIES.get(char, "\\" + char)

    text = _SPECIAL.sub(escape, text)
    # A leading `#`, `>`, `-`, `+` or `1.` would start a block only at a line start; the
    # template never puts a value there, but stay safe if it ever does.
    return text


def fenced(text: str, info: str = "") -> Verbatim:
    """A fenced code block whose fence no backtick run in `text` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return Verbatim(f"{fence}{info}\n{body}{fence}\n")


#: rows of a final-log table shown in full; longer tables show the marked rows in context
MD_LOG_ROWS = 60

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("replicheck.report", "templates"),
    autoescape=False,  # Markdown: escaping is done by `finalize`, below
    finalize=md_escape,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def render_markdown(
    result: RunResult, *, replay_command: str, search_command: str, found_by: str | None = None
) -> str:
    """The whole report.md for a finished run."""
    snapshots = [
        {"label": snap.label, "block": fenced("\n".join(snap.lines) or "(no partitions)")}
        for snap in summary.snapshots(result)
    ]
    groups = summary.evidence_groups(result)
    text = _ENV.get_template("report.md.j2").render(
        verdict=summary.verdict_line(result),
        subject=summary.subject(result),
        seed=result.seed,
        step_count=len(result.steps),
        flaws=summary.flaw_facts(result),
        steps=summary.step_lines(result),
        groups=groups,
        checker_line=summary.checker_line(result),
        tables=log_tables(result.replica_logs, result.history),
        md_rows=MD_LOG_ROWS,
        snapshots=snapshots,
        config_rows=summary.config_rows(result),
        replay_block=fenced(replay_command, "sh"),
        search_block=fenced(search_command, "sh"),
        found_by_block=fenced(found_by, "sh") if found_by else "",
    )
    return re.sub(r"\n{3,}", "\n\n", text)
