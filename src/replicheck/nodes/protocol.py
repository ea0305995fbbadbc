"""Maelstrom's wire protocol (jepsen-io/maelstrom doc/protocol.md): JSON lines of
`{src, dest, body}`; `body.type` is mandatory, `msg_id` / `in_reply_to` pair requests with
replies; errors are bodies of type `error` with an integer `code`.

The error table is Maelstrom's, with its definite/indefinite column: a *definite* error means
the operation did not and never will happen (the client records `fail`); anything else --
including codes Maelstrom does not define, which its docs call always indefinite -- may
have happened (the client records `info`).
"""

from __future__ import annotations

import json
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from replicheck.nodes.errors import NodeProtocolError


@dataclass(frozen=True)
class ErrorCode:
    code: int
    name: str
    definite: bool


ERROR_CODES: dict[int, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode(0, "timeout", False),
        ErrorCode(1, "node-not-found", True),
        ErrorCode(10, "not-supported", True),
        ErrorCode(11, "temporarily-unavailable", True),
        ErrorCode(12, "malformed-request", True),
        ErrorCode(13, "crash", False),
        ErrorCode(14, "abort", True),
        ErrorCode(20, "key-does-not-exist", True),
        ErrorCode(21, "key-already-exists", True),
        ErrorCode(22, "precondition-failed", True),
        ErrorCode(30, "txn-conflict", True),
    )
}
KEY_DOES_NOT_EXIST = 20
PRECONDITION_FAILED = 22


def is_definite(code: Any) -> bool:
    """Definite per Maelstrom's table; unknown or custom codes are indefinite (safe)."""
    known = ERROR_CODES.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
    return known is not None and known.definite


def error_name(code: Any) -> str:
    known = ERROR_CODES.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
    return known.name if known else f"error-{code}"


def error_body(code: int, text: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "text": text}


def encode(src: str, dest: str, body: dict[str, Any]) -> str:
    """One message as one line (no embedded newline: json.dumps escapes them)."""
    return json.dumps({"src": src, "dest": dest, "body": body}, separators=(",", ":")) + "\n"


def decode(node: str, line_number: int, line: str, known: Container[str]) -> dict[str, Any]:
    """Parse a line the node wrote to stdout; every deviation is a `NodeProtocolError`.

    The node must use its own id as `src` (doc/protocol.md: "include it as the `src` of any
    message it sends") and may only address nodes, services and clients that exist.
    """
    text = line.rstrip("\n")
    try:
        msg = json.loads(text)
    except ValueError:
        raise NodeProtocolError(
            node,
            "not a JSON message (stdout is for messages only; log to stderr)",
            line_number=line_number,
            line=text,
        ) from None
    if not isinstance(msg, dict):
        raise NodeProtocolError(
            node,
            "a message must be a JSON object {src, dest, body}",
            line_number=line_number,
            line=text,
        )
    for field in ("src", "dest", "body"):
        if field not in msg:
            raise NodeProtocolError(
                node, f"message without {field!r}", line_number=line_number, line=text
            )
    body = msg["body"]
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise NodeProtocolError(
            node, "body must be an object with a string 'type'", line_number=line_number, line=text
        )
    if msg["src"] != node:
        raise NodeProtocolError(
            node,
            f"src is {msg['src']!r}, expected this node's id {node!r}",
            line_number=line_number,
            line=text,
        )
    if msg["dest"] not in known:
        raise NodeProtocolError(
            node,
            f"dest {msg['dest']!r} is no node, service or client of this run",
            line_number=line_number,
            line=text,
        )
    for field in ("msg_id", "in_reply_to"):
        value = body.get(field)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise NodeProtocolError(
                node, f"{field} must be an integer", line_number=line_number, line=text
            )
    return msg
