"""A node that gossips to its peers every 10 ms forever: the network is never quiet."""

import json
import sys
import threading
import time


def gossip(node_id, peers):
    while True:
        for peer in peers:
            print(
                json.dumps({"src": node_id, "dest": peer, "body": {"type": "gossip"}}), flush=True
            )
        time.sleep(0.01)


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        print(
            json.dumps(
                {
                    "src": body["node_id"],
                    "dest": msg["src"],
                    "body": {"type": "init_ok", "in_reply_to": body["msg_id"]},
                }
            ),
            flush=True,
        )
        peers = [n for n in body["node_ids"] if n != body["node_id"]]
        threading.Thread(target=gossip, args=(body["node_id"], peers), daemon=True).start()
