"""Order relations between log operations, as a small networkx graph.

Some anomalies are best explained as a cycle: "send a was acknowledged before send b
was invoked (process order), yet b sits at or below a's offset (log order)". We keep
the graph bounded by adding only the operations of *suspect* pairs that the linear scan
in `log_anomalies` already found, so building it costs O(suspects), never O(history).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

#: relation names used as edge labels in the evidence
PROCESS_ORDER = "process-order"  # same process; the first completed before the second began
LOG_ORDER = "log-order"  # the second's offset is at or below the first's


def order_cycle(edges: Iterable[tuple[Hashable, Hashable, str]]) -> list[dict[str, Any]]:
    """The cycle formed by `edges` ((from, to, relation) triples), as labelled edges.

    The caller passes the edges of one suspect relation only (a handful), so the graph is
    tiny; an empty list means the relations do not close a cycle.
    """
    import networkx as nx  # lazily: ~0.3 s to import, and most histories have no suspects

    graph: nx.DiGraph[Hashable] = nx.DiGraph()
    for source, target, relation in edges:
        graph.add_edge(source, target, relation=relation)
    try:
        found = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return []
    return [{"from": a, "to": b, "relation": graph.edges[a, b]["relation"]} for a, b, *_ in found]
