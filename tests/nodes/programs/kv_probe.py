"""After init, runs a fixed script of requests against a service (argv[1]) and writes each
reply to stderr as one JSON line: a real process exercising the in-process services."""

import json
import sys
import threading

service = sys.argv[1]
SCRIPT = [
    {"type": "read", "key": "x"},
    {"type": "cas", "key": "x", "from": 1, "to": 2},
    {"type": "cas", "key": "x", "from": 1, "to": 2, "create_if_not_exists": True},
    {"type": "read", "key": "x"},
    {"type": "cas", "key": "x", "from": 1, "to": 3},
    {"type": "write", "key": "x", "value": 5},
    {"type": "cas", "key": "x", "from": 5, "to": 6},
    {"type": "read", "key": "x"},
]
replies = {}
arrived = threading.Condition()


def probe(node_id):
    for msg_id, body in enumerate(SCRIPT, 100):
        print(
            json.dumps({"src": node_id, "dest": service, "body": {**body, "msg_id": msg_id}}),
            flush=True,
        )
        with arrived:
            arrived.wait_for(lambda m=msg_id: m in replies, timeout=5)
        reply = replies.get(msg_id, {"type": "no reply"})
        reply = {k: v for k, v in reply.items() if k != "text"}
        print(json.dumps(reply), file=sys.stderr, flush=True)
    print("done", file=sys.stderr, flush=True)


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
        threading.Thread(target=probe, args=(body["node_id"],), daemon=True).start()
    elif "in_reply_to" in body:
        with arrived:
            replies[body["in_reply_to"]] = body
            arrived.notify_all()
