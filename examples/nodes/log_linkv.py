"""A correct multi-node kafka log: all state lives in Maelstrom's `lin-kv` service.

Each key's log is one lin-kv value (a list of messages) appended by compare-and-set, so two
nodes can never hand out the same offset: the cas from the list a node read fails if
another append got in first, and the node retries. A send whose cas reply was lost is
retried idempotently (a message already in the list keeps its offset; messages are unique
in the workload). Committed offsets are lin-kv values too, only ever raised by cas. Any
node can serve any request. A node gives up after RETRIES service attempts with an
indefinite error (code 13): it does not know whether its last append landed.
"""

from maelstrom_node import CRASH, Kv, Node, RpcError, RpcTimeout

POLL_MAX = 5
RETRIES = 6


class LinKvLog:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.kv = Kv(node, "lin-kv")
        node.on("send")(self.send)
        node.on("poll")(self.poll)
        node.on("commit_offsets")(self.commit_offsets)
        node.on("list_committed_offsets")(self.list_committed_offsets)

    def _retrying(self, attempt):
        for _ in range(RETRIES):
            try:
                result = attempt()
            except RpcTimeout:
                continue
            if result is not None:
                return result
        raise RpcError(CRASH, "gave up retrying lin-kv")

    def send(self, body: dict) -> dict:
        key, msg = body["key"], body["msg"]

        def append():
            log = self.kv.read(f"log-{key}")
            if log is not None and msg in log:  # our earlier cas landed; its reply was lost
                return log.index(msg)
            new = [*(log or []), msg]
            if self.kv.cas(f"log-{key}", log, new, create=log is None):
                return len(new) - 1
            return None

        return {"type": "send_ok", "offset": self._retrying(append)}

    def poll(self, body: dict) -> dict:
        msgs = {}
        for key, start in body["offsets"].items():
            log = self._retrying(lambda key=key: self.kv.read(f"log-{key}", []))
            pairs = [[o, log[o]] for o in range(start, min(len(log), start + POLL_MAX))]
            if pairs:
                msgs[key] = pairs
        return {"type": "poll_ok", "msgs": msgs}

    def commit_offsets(self, body: dict) -> dict:
        for key, offset in body["offsets"].items():

            def raise_to(key=key, offset=offset):
                current = self.kv.read(f"commit-{key}")
                if current is not None and current >= offset:
                    return True
                return (
                    True
                    if self.kv.cas(f"commit-{key}", current, offset, create=current is None)
                    else None
                )

            self._retrying(raise_to)
        return {"type": "commit_offsets_ok"}

    def list_committed_offsets(self, body: dict) -> dict:
        offsets = {}
        for key in body["keys"]:
            value = self._retrying(lambda key=key: [self.kv.read(f"commit-{key}")])[0]
            if value is not None:
                offsets[key] = value
        return {"type": "list_committed_offsets_ok", "offsets": offsets}


if __name__ == "__main__":
    node = Node()
    LinKvLog(node)
    node.run()
