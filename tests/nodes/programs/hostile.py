"""The correct single-node log (log_single), but everything it can say is an HTML attack:
it gossips a message whose type and body hold markup, and logs markup to stderr. A report
must show all of it as text. With 1 node the gossip goes to a client-free service, so the
workload is unaffected."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "nodes"))
import log_single

ATTACK = "<script>alert(1)</script><img src=x onerror=alert(2)>"
node = log_single.node
original = node._handlers["send"]


def send(body: dict) -> dict:
    print(f"stderr says {ATTACK}", file=sys.stderr, flush=True)
    node.send("lin-kv", {"type": ATTACK, "msg_id": 10_000, "key": ATTACK, "payload": ATTACK})
    return original(body)


node._handlers["send"] = send
node.run()
