"""Typed errors of the node harness: the user's program broke the protocol, or could not run.

Both are `NodeError`s so a caller (a future `hunt --node`) can turn any of them into one
line and exit code 2 without a traceback; each names the node and, where there is one, the
stdout line that was wrong, because that is what the author of the node needs to fix it.
"""

from __future__ import annotations


class NodeError(Exception):
    """A node could not take part in the run (the run's verdict would mean nothing)."""

    def __init__(
        self,
        node: str,
        reason: str,
        *,
        line_number: int | None = None,
        line: str | None = None,
        stderr_tail: str = "",
    ) -> None:
        self.node = node
        self.reason = reason
        self.line_number = line_number
        self.line = line
        self.stderr_tail = stderr_tail
        super().__init__(self.render())

    def render(self) -> str:
        where = (
            self.node
            if self.line_number is None
            else f"{self.node}: stdout line {self.line_number}"
        )
        text = f"{where}: {self.reason}"
        if self.line is not None:
            text += f": {_clip(self.line)!r}"
        return text


class NodeProtocolError(NodeError):
    """The node wrote something Maelstrom's protocol does not allow, or never answered init."""


class NodeStartError(NodeError):
    """The node's command could not be started, or the process exited."""


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
