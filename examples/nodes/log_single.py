"""A correct single-node kafka log (Maelstrom's kafka workload): everything in memory.

Offsets are list positions; a poll returns up to POLL_MAX contiguous records from the
requested offset; a commit keeps the highest offset committed per key. Correct only as a
single node: with several nodes each would have its own log.
"""

from maelstrom_node import Node

POLL_MAX = 5

node = Node(threaded=False)
logs: dict[str, list] = {}
committed: dict[str, int] = {}


@node.on("send")
def send(body: dict) -> dict:
    log = logs.setdefault(body["key"], [])
    log.append(body["msg"])
    return {"type": "send_ok", "offset": len(log) - 1}


@node.on("poll")
def poll(body: dict) -> dict:
    msgs = {}
    for key, start in body["offsets"].items():
        log = logs.get(key, [])
        pairs = [[o, log[o]] for o in range(start, min(len(log), start + POLL_MAX))]
        if pairs:
            msgs[key] = pairs
    return {"type": "poll_ok", "msgs": msgs}


@node.on("commit_offsets")
def commit_offsets(body: dict) -> dict:
    for key, offset in body["offsets"].items():
        committed[key] = max(offset, committed.get(key, -1))
    return {"type": "commit_offsets_ok"}


@node.on("list_committed_offsets")
def list_committed_offsets(body: dict) -> dict:
    return {
        "type": "list_committed_offsets_ok",
        "offsets": {k: committed[k] for k in body["keys"] if k in committed},
    }


if __name__ == "__main__":
    node.run()
