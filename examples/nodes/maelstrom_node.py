"""A tiny Maelstrom node runtime (Python stdlib only) for the example nodes.

Reads one JSON message per stdin line, answers `init`, dispatches requests to handlers and
lets handlers make blocking RPCs (to services or peers) with a timeout. Each request runs
in its own thread so a handler waiting on `lin-kv` does not stop the node from reading the
reply. Log to stderr only: stdout carries messages.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import Any

KEY_DOES_NOT_EXIST = 20
PRECONDITION_FAILED = 22
CRASH = 13  # indefinite: the operation may have happened


class RpcError(Exception):
    def __init__(self, code: int, text: str = "") -> None:
        super().__init__(f"error {code}: {text}")
        self.code = code


class RpcTimeout(Exception):
    pass


class Node:
    def __init__(self, threaded: bool = True) -> None:
        self.node_id = ""
        self.node_ids: list[str] = []
        self.threaded = threaded
        self._handlers: dict[str, Callable[[dict], dict | None]] = {}
        self._out = threading.Lock()
        self._ids = threading.Lock()
        self._next_id = 0
        self._waiting: dict[int, list[Any]] = {}  # msg_id -> [Event, reply body]

    def on(self, kind: str) -> Callable:
        def register(fn: Callable[[dict], dict | None]) -> Callable:
            self._handlers[kind] = fn
            return fn

        return register

    def log(self, text: str) -> None:
        print(f"{self.node_id}: {text}", file=sys.stderr, flush=True)

    def _msg_id(self) -> int:
        with self._ids:
            self._next_id += 1
            return self._next_id

    def send(self, dest: str, body: dict) -> None:
        line = json.dumps({"src": self.node_id, "dest": dest, "body": body})
        with self._out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def rpc(self, dest: str, body: dict, timeout_s: float = 0.2) -> dict:
        """Send a request and wait for its reply; RpcError on an error reply."""
        msg_id = self._msg_id()
        slot: list[Any] = [threading.Event(), None]
        self._waiting[msg_id] = slot
        self.send(dest, {**body, "msg_id": msg_id})
        if not slot[0].wait(timeout_s):
            self._waiting.pop(msg_id, None)
            raise RpcTimeout(f"{body.get('type')} to {dest}")
        reply = slot[1]
        if reply.get("type") == "error":
            raise RpcError(reply.get("code", CRASH), reply.get("text", ""))
        return reply

    def _serve(self, msg: dict) -> None:
        body = msg["body"]
        try:
            handler = self._handlers.get(body["type"])
            reply = (
                handler(body) if handler else {"type": "error", "code": 10, "text": "unsupported"}
            )
        except RpcError as exc:
            reply = {"type": "error", "code": exc.code, "text": str(exc)}
        except Exception as exc:  # indefinite: we do not know how far the handler got
            reply = {"type": "error", "code": CRASH, "text": repr(exc)}
        if reply is not None and "msg_id" in body:
            self.send(msg["src"], {**reply, "in_reply_to": body["msg_id"]})

    def run(self) -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            msg = json.loads(line)
            body = msg["body"]
            if "in_reply_to" in body and body["in_reply_to"] in self._waiting:
                slot = self._waiting.pop(body["in_reply_to"])
                slot[1] = body
                slot[0].set()
            elif body["type"] == "init":
                self.node_id, self.node_ids = body["node_id"], list(body["node_ids"])
                self.send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
            elif self.threaded:
                threading.Thread(target=self._serve, args=(msg,), daemon=True).start()
            else:
                self._serve(msg)


class Kv:
    """Blocking calls to a Maelstrom kv service (`lin-kv`, `seq-kv`, `lww-kv`)."""

    def __init__(self, node: Node, service: str = "lin-kv") -> None:
        self.node, self.service = node, service

    def read(self, key: str, default: Any = None) -> Any:
        try:
            return self.node.rpc(self.service, {"type": "read", "key": key})["value"]
        except RpcError as exc:
            if exc.code == KEY_DOES_NOT_EXIST:
                return default
            raise

    def write(self, key: str, value: Any) -> None:
        self.node.rpc(self.service, {"type": "write", "key": key, "value": value})

    def cas(self, key: str, old: Any, new: Any, create: bool = False) -> bool:
        """True if swapped; False if the value was not `old` (or the key is missing)."""
        body = {"type": "cas", "key": key, "from": old, "to": new}
        if create:
            body["create_if_not_exists"] = True
        try:
            self.node.rpc(self.service, body)
            return True
        except RpcError as exc:
            if exc.code in (PRECONDITION_FAILED, KEY_DOES_NOT_EXIST):
                return False
            raise
