"""Dependency cycles between Kafka ops (Elle's G0 / G1c family), found from offsets.

Edges between ops, as Jepsen's Kafka checker derives them:

- `ww`: A sent the message just before B's in a partition's version order (the first
  message observed at each offset, in offset order; a message without a known writer
  breaks the chain);
- `wr`: A sent a message that B read;
- `process`: A and B are ops of one process, A completed before B was invoked;
- `realtime`: A completed before B was invoked (any processes).

No `rw` edges: a Kafka poll may return fewer records than exist (fetch limits), so "B did
not see A's write" says nothing about order (Jepsen leaves them out for the same reason).
A cycle's name is Elle's: `G0` if it uses only ww edges, `G1c` if it needs a wr edge,
with `-process` / `-realtime` when it needs a process or real-time edge to close.

Two searches with one meaning. `cycles_general` builds the whole graph (networkx) with
real time encoded by a chain of completion events (linear in the ops, not quadratic) and
searches each strongly connected component; it is used for transactional histories. A
history of single-send and poll-only ops cannot close a cycle through data edges alone,
so every cycle there is one partition's version order contradicting time: some writer X
sits at or below a message W in the log although X was invoked after W (or a reader of
W) completed. `cycles_simple` finds exactly those with one scan per partition; a property
test checks it against `cycles_general`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

from replicheck.checker.jepsen_kafka import OpFacts

if TYPE_CHECKING:  # imported lazily: ~0.3 s, and only transactional histories need it
    import networkx as nx

WW, WR, PROCESS, REALTIME = "ww", "wr", "process", "realtime"
#: evidence keeps at most this many ww edges of one chain; longer chains are collapsed
MAX_CHAIN_EDGES = 6


def cycle_kind(relations: Iterable[str]) -> str:
    """Elle's name for a cycle made of these relations."""
    found = set(relations)
    base = "G1c" if WR in found else "G0"
    if REALTIME in found:
        return base + "-realtime"
    if PROCESS in found:
        return base + "-process"
    return base


def _time_relation(earlier: OpFacts, later: OpFacts) -> str:
    return PROCESS if earlier.process == later.process else REALTIME


def _edge(a: OpFacts, b: OpFacts, relation: str, **extra: Any) -> dict[str, Any]:
    return {"from": a.ref(), "to": b.ref(), "relation": relation, **extra}


def _chain(key: str, writers: list[OpFacts], messages: list[Any]) -> list[dict[str, Any]]:
    """The ww edges from writers[0] to writers[-1] (collapsed in the middle if long)."""
    edges = [
        _edge(writers[i], writers[i + 1], WW, key=key, message=messages[i + 1])
        for i in range(len(writers) - 1)
    ]
    if len(edges) <= MAX_CHAIN_EDGES:
        return edges
    head, tail = edges[: MAX_CHAIN_EDGES // 2], edges[-(MAX_CHAIN_EDGES // 2) :]
    collapsed = _edge(writers[MAX_CHAIN_EDGES // 2], writers[-1 - MAX_CHAIN_EDGES // 2], WW)
    collapsed["chain_length"] = len(edges) - 2 * (MAX_CHAIN_EDGES // 2)
    collapsed["key"] = key
    return [*head, collapsed, *tail]


def cycles_simple(
    orders: dict[str, dict[int, Hashable]],
    writers: dict[str, dict[Any, OpFacts]],
    first_readers: dict[str, dict[Any, OpFacts]],
) -> list[dict[str, Any]]:
    """Cycles of a non-transactional history: one scan of each version order.

    Returns evidence dicts `{"kind", "key", "cycle": [edges]}`, one per late writer X.
    """
    found: list[dict[str, Any]] = []
    for key in sorted(orders, key=str):
        order = orders[key]
        key_writers = writers.get(key, {})
        key_readers = first_readers.get(key, {})
        chain_writers: list[OpFacts] = []
        chain_messages: list[Any] = []
        latest = -1  # position in the chain of the writer invoked last so far
        reported: set[tuple[str, int]] = set()
        for offset in sorted(order):
            message = order[offset]
            writer = key_writers.get(message)
            if writer is None:
                chain_writers, chain_messages, latest = [], [], -1
                continue
            if chain_writers and chain_writers[-1] is writer:
                continue  # one op, two messages in a row: no self edge
            chain_writers.append(writer)
            chain_messages.append(message)
            here = len(chain_writers) - 1
            if latest >= 0:
                late = chain_writers[latest]
                if late.invoked_at > writer.completed_at and ("G0", late.index) not in reported:
                    reported.add(("G0", late.index))
                    cycle = [
                        *_chain(key, chain_writers[latest:], chain_messages[latest:]),
                        _edge(writer, late, _time_relation(writer, late)),
                    ]
                    found.append(_evidence(key, cycle))
            if latest < 0 or writer.invoked_at > chain_writers[latest].invoked_at:
                latest = here
            reader = key_readers.get(message)
            late = chain_writers[latest]
            if (
                reader is not None
                and reader is not writer
                and late.invoked_at > reader.completed_at
                and ("G1c", late.index) not in reported
            ):
                reported.add(("G1c", late.index))
                cycle = [
                    *_chain(key, chain_writers[latest:], chain_messages[latest:]),
                    _edge(writer, reader, WR, key=key, message=message),
                    _edge(reader, late, _time_relation(reader, late)),
                ]
                found.append(_evidence(key, cycle))
    return found


def _evidence(key: str, cycle: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": cycle_kind(e["relation"] for e in cycle), "key": key, "cycle": cycle}


# -- the general search ------------------------------------------------------------------------


def cycles_general(
    orders: dict[str, dict[int, Hashable]],
    writers: dict[str, dict[Any, OpFacts]],
    first_readers: dict[str, dict[Any, OpFacts]],
    txn_reads: Iterable[tuple[OpFacts, dict[str, list[Any]]]] = (),
) -> list[dict[str, Any]]:
    """Cycles of any history, by strongly connected components of the whole graph.

    `txn_reads` lists the reads of transactional ops (every message they read, since their
    own writes give them outgoing data edges); for other readers the first-completing one
    per message is enough, as real time makes the later readers' successors its own.
    """
    import networkx as nx

    graph: nx.DiGraph[Hashable] = nx.DiGraph()
    ops: dict[int, OpFacts] = {}

    def link(a: OpFacts, b: OpFacts, relation: str, **extra: Any) -> None:
        if a.index == b.index:
            return
        ops[a.index], ops[b.index] = a, b
        if not graph.has_edge(a.index, b.index):
            graph.add_edge(a.index, b.index, relation=relation, **extra)

    for key, order in orders.items():
        key_writers = writers.get(key, {})
        previous: OpFacts | None = None
        for offset in sorted(order):
            message = order[offset]
            writer = key_writers.get(message)
            if writer is not None and previous is not None:
                link(previous, writer, WW, key=key, message=message)
            previous = writer
        for message, reader in first_readers.get(key, {}).items():
            writer = key_writers.get(message)
            if writer is not None:
                link(writer, reader, WR, key=key, message=message)
    for reader, reads in txn_reads:
        for key, records in reads.items():
            key_writers = writers.get(key, {})
            for _, message in records:
                writer = key_writers.get(message)
                if writer is not None:
                    link(writer, reader, WR, key=key, message=message)
    for facts in writers.values():
        for writer in facts.values():
            ops.setdefault(writer.index, writer)
            graph.add_node(writer.index)
    _add_time(graph, ops)
    found = []
    for component in nx.strongly_connected_components(graph):
        if sum(1 for n in component if not isinstance(n, tuple)) < 2:
            continue
        sub = graph.subgraph(component)
        for family in (_G0_SEARCH, _G1C_SEARCH):
            cycle = _named_cycle(sub, ops, family)
            if cycle:
                cycle_key = next((e["key"] for e in cycle if "key" in e), None)
                found.append(
                    {
                        "kind": cycle_kind(e["relation"] for e in cycle),
                        "key": cycle_key,
                        "cycle": cycle,
                    }
                )
    return found


def _add_time(graph: nx.DiGraph[Hashable], ops: dict[int, OpFacts]) -> None:
    """Real time as a chain of completion events ("c", i): A → c(A) → … → c(j) → B for
    every B invoked after completion j, so A reaches B exactly when A completed before B
    was invoked; plus the direct process-order edges (for naming)."""
    completed = sorted(
        (o for o in ops.values() if o.completed_at != float("inf")), key=lambda o: o.completed_at
    )
    times = [o.completed_at for o in completed]
    for i, op in enumerate(completed):
        graph.add_edge(op.index, ("c", i), relation=REALTIME)
        if i:
            graph.add_edge(("c", i - 1), ("c", i), relation=REALTIME)

    by_process: dict[Any, list[OpFacts]] = {}
    for op in ops.values():
        at = bisect.bisect_left(times, op.invoked_at) - 1
        if at >= 0:
            graph.add_edge(("c", at), op.index, relation=REALTIME)
        by_process.setdefault(op.process, []).append(op)
    for process_ops in by_process.values():
        process_ops.sort(key=lambda o: o.invoked_at)
        for a, b in itertools.pairwise(process_ops):
            if a.completed_at < b.invoked_at and not graph.has_edge(a.index, b.index):
                graph.add_edge(a.index, b.index, relation=PROCESS)


#: per family, the relation sets tried in turn: the weakest that closes a cycle names it
_G0_SEARCH = ({WW}, {WW, PROCESS}, {WW, PROCESS, REALTIME})
_G1C_SEARCH = ({WW, WR}, {WW, WR, PROCESS}, {WW, WR, PROCESS, REALTIME})
#: wr edges tried per relation set when looking for a cycle through one (bounds the work
#: on a huge component; a component is reported as long as one family closes a cycle)
MAX_WR_TRIES = 64


def _named_cycle(
    component: nx.DiGraph[Hashable], ops: dict[int, OpFacts], family: tuple[Any, ...]
) -> list[dict[str, Any]]:
    """A cycle of the component in one family (G1c: through a wr edge), using the weakest
    relations that close one (Elle's order: data only, then process, then real time)."""
    import networkx as nx

    for relations in family:
        sub: nx.DiGraph[Hashable] = nx.DiGraph()
        for a, b, data in component.edges(data=True):
            if data["relation"] in relations:
                sub.add_edge(a, b, **data)
        if WR not in relations:
            try:
                found = [(a, b) for a, b, *_ in nx.find_cycle(sub)]
            except nx.NetworkXNoCycle:
                continue
        else:
            found = _cycle_through_wr(sub)
            if not found:
                continue
        return _collapse([(a, b, sub.edges[a, b]) for a, b in found], ops)
    return []


def _cycle_through_wr(sub: nx.DiGraph[Hashable]) -> list[tuple[Any, Any]]:
    import networkx as nx

    tries = 0
    for a, b, data in sub.edges(data=True):
        if data["relation"] != WR:
            continue
        tries += 1
        if tries > MAX_WR_TRIES:
            break
        try:
            path = nx.shortest_path(sub, b, a)
        except nx.NetworkXNoPath:
            continue
        return [(a, b), *itertools.pairwise(path)]
    return []


def _collapse(
    edges: list[tuple[Any, Any, dict[str, Any]]], ops: dict[int, OpFacts]
) -> list[dict[str, Any]]:
    """Edges through completion events become one realtime edge between two ops."""
    start = next(i for i, (a, _, _) in enumerate(edges) if not isinstance(a, tuple))
    edges = edges[start:] + edges[:start]
    out: list[dict[str, Any]] = []
    pending_from: int | None = None
    for a, b, data in edges:
        if isinstance(b, tuple):
            if not isinstance(a, tuple):
                pending_from = a
            continue
        if isinstance(a, tuple):
            assert pending_from is not None
            out.append(_edge(ops[pending_from], ops[b], REALTIME))
            pending_from = None
            continue
        extra = {k: v for k, v in data.items() if k != "relation"}
        out.append(_edge(ops[a], ops[b], data["relation"], **extra))
    return out
