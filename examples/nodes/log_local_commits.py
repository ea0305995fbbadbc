"""WRONG on purpose: committed offsets kept only in the memory of the node that took them.

The log itself is log_linkv.py's (correct). But `commit_offsets` is stored in a dict of the
receiving node and `list_committed_offsets` answers from the local dict: a client that
commits via n0 and lists via n1 finds nothing, and a crash of n0 forgets every commit
(replicheck: stale-committed-offset). Correct with a single node that never crashes.
"""

from log_linkv import LinKvLog
from maelstrom_node import Node


class LocalCommitsLog(LinKvLog):
    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.committed: dict[str, int] = {}

    def commit_offsets(self, body: dict) -> dict:
        for key, offset in body["offsets"].items():
            self.committed[key] = max(offset, self.committed.get(key, -1))
        return {"type": "commit_offsets_ok"}

    def list_committed_offsets(self, body: dict) -> dict:
        return {
            "type": "list_committed_offsets_ok",
            "offsets": {k: self.committed[k] for k in body["keys"] if k in self.committed},
        }


if __name__ == "__main__":
    node = Node()
    LocalCommitsLog(node)
    node.run()
