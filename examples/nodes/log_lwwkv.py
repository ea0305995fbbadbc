"""WRONG on purpose: log_linkv.py's algorithm on the wrong service, `lww-kv`.

Every append is still a compare-and-set, but lww-kv's replicas accept writes
independently and merge by timestamp: two nodes can both "win" a cas on different replicas
and the merge keeps only one list, so an acknowledged message disappears (lost-write or
unseen), and a read served by a replica that has not merged the latest append yet makes
even a single acknowledged message invisible to the final read (unseen); committed offsets
can read stale (stale-committed-offset). Whether a step list shows it depends on the
service's replica choices (seeded by the run) and on the order in which requests reach it.
"""

from log_linkv import LinKvLog
from maelstrom_node import Kv, Node

if __name__ == "__main__":
    node = Node()
    log = LinKvLog(node)
    log.kv = Kv(node, "lww-kv")
    node.run()
