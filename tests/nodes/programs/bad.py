"""Nodes that break the protocol, one way per argument: garbage, silent, exits, wrong-src,
bad-reply, echo-to-stdout (prints a log line on stdout after init), errors (answers each
send with the error code given as its msg)."""

import json
import sys
import time

mode = sys.argv[1]
if mode == "exits":
    sys.exit(3)
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if mode == "silent":
        continue
    if mode == "garbage":
        print("hello, I am starting up", flush=True)
        continue
    src = "n9" if mode == "wrong-src" else body.get("node_id", "n0")
    if body["type"] == "init":
        print(
            json.dumps(
                {
                    "src": src,
                    "dest": msg["src"],
                    "body": {"type": "init_ok", "in_reply_to": body["msg_id"]},
                }
            ),
            flush=True,
        )
        node_id = body["node_id"]
        continue
    if mode == "errors":
        print(
            json.dumps(
                {
                    "src": node_id,
                    "dest": msg["src"],
                    "body": {
                        "type": "error",
                        "code": body.get("msg", 10),
                        "text": "as asked",
                        "in_reply_to": body["msg_id"],
                    },
                }
            ),
            flush=True,
        )
    elif mode == "bad-reply":
        print(
            json.dumps(
                {
                    "src": node_id,
                    "dest": msg["src"],
                    "body": {"type": "send_ok", "offset": "zero", "in_reply_to": body["msg_id"]},
                }
            ),
            flush=True,
        )
    elif mode == "echo-to-stdout":
        print(f"got {body['type']}", flush=True)
time.sleep(0)
