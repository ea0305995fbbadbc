"""WRONG on purpose: offsets assigned without coordination.

Like log_linkv.py, but each node numbers a key's messages from its own local counter and
blind-writes `msg-<key>-<offset>` to lin-kv. Two nodes that take sends for one key hand
out the same offsets and overwrite each other's messages: acknowledged writes are lost
(the log checker: lost-write, inconsistent-offsets). Correct with a single node.
"""

import threading

from log_linkv import POLL_MAX, LinKvLog
from maelstrom_node import Node


class UncoordinatedLog(LinKvLog):
    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.counters: dict[str, int] = {}
        self.lock = threading.Lock()

    def send(self, body: dict) -> dict:
        key = body["key"]
        with self.lock:
            offset = self.counters.get(key, 0)
            self.counters[key] = offset + 1
        self.kv.write(f"msg-{key}-{offset}", body["msg"])
        return {"type": "send_ok", "offset": offset}

    def poll(self, body: dict) -> dict:
        msgs = {}
        for key, start in body["offsets"].items():
            pairs = []
            for offset in range(start, start + POLL_MAX):
                value = self.kv.read(f"msg-{key}-{offset}")
                if value is None:
                    break
                pairs.append([offset, value])
            if pairs:
                msgs[key] = pairs
        return {"type": "poll_ok", "msgs": msgs}


if __name__ == "__main__":
    node = Node()
    UncoordinatedLog(node)
    node.run()
