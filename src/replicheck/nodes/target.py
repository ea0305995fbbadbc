"""`NodeTarget`: a system under test made of real node processes -- it takes steps and
yields a history (plus the message log), the shape of the campaign's target seam.

One driver thread owns everything: the event queue the pipe threads fill, the schedule of
messages in flight (a heap ordered by delivery time), the clients and the services. Time is
the monotonic clock in ms since the run started. Node processes are real and not
deterministic (their own threads and timers, the OS scheduler), so the same steps and seed
give the same *decisions* by replicheck (faults, service choices) but not necessarily the
same history; nothing here sleeps for a fixed time: every wait is "until a condition or a
stated bound", and the network counts as quiet once no message moved for
`quiet_window_ms`.

Every process is reaped by `close()` (also via `with`), whichever way the run ends:
success, a violation, a `NodeError`, or KeyboardInterrupt.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from replicheck.nodes.client import KafkaClient
from replicheck.nodes.errors import NodeError, NodeProtocolError, NodeStartError
from replicheck.nodes.process import NodeProcess
from replicheck.nodes.protocol import decode, encode
from replicheck.nodes.recorder import HistoryRecorder
from replicheck.nodes.router import DropRule, MessageRecord, Router
from replicheck.nodes.services import SERVICE_NAMES, Service, make_services
from replicheck.nodes.steps import NodeStep

INIT_SOURCE = "c0"  # Maelstrom's init comes from a client; workload clients are c1, c2, ...
_CLIENT_NAME = re.compile(r"c[0-9]+")
WAKE_MAX_S = 0.05  # the driver looks at the clock at least this often


@dataclass(frozen=True)
class NodeConfig:
    """The harness's bounds (all in ms). Defaults suit small Python nodes on a loaded box."""

    init_timeout_ms: float = 5000.0
    request_timeout_ms: float = 1000.0
    quiet_window_ms: float = 30.0
    quiesce_max_ms: float = 2000.0
    wait_max_ms: float = 5000.0
    final_poll_attempts: int = 3

    def __post_init__(self) -> None:
        for name in ("init_timeout_ms", "request_timeout_ms", "quiet_window_ms", "quiesce_max_ms"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0")
        if self.final_poll_attempts < 1:
            raise ValueError("final_poll_attempts must be >= 1")


@dataclass
class NodeRun:
    """What a run yields: the history (log format) and the message log, plus context."""

    command: list[str]
    node_ids: list[str]
    seed: int
    steps: list[NodeStep]
    history: list[dict]
    messages: list[dict]
    step_outcomes: list[str]
    stderr_tails: dict[str, str]
    final_read_complete: dict[str, bool]
    elapsed_s: float
    _verdict: Any = field(default=None, repr=False)

    @property
    def verdict(self) -> Any:
        """The committed-offsets and log verdicts (`replicheck.nodes.verdict.NodeVerdict`)."""
        if self._verdict is None:
            from replicheck.nodes.verdict import check_run

            self._verdict = check_run(self.history)
        return self._verdict

    def log_ops(self) -> list[dict]:
        """The sends and polls only: what `replicheck check --model log` reads."""
        return [op for op in self.history if op["f"] in ("send", "poll")]

    @property
    def violation(self) -> bool:
        return not self.verdict.valid

    def story(self) -> str:
        lines = [f"{i}. {step.describe()} {outcome}"
                 for i, (step, outcome) in enumerate(zip(self.steps, self.step_outcomes, strict=True), 1)]
        return "\n".join(lines)


class _Destinations:
    """`in` for the protocol check: nodes, services and any client name."""

    def __init__(self, nodes: Sequence[str]) -> None:
        self.fixed = frozenset(nodes) | frozenset(SERVICE_NAMES)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.fixed or bool(_CLIENT_NAME.fullmatch(name)))


class NodeTarget:
    """N copies of `command` (`n0`…), the services, the kafka clients and the network."""

    def __init__(self, command: Sequence[str], node_count: int = 1, *, seed: int = 0,
                 config: NodeConfig | None = None, cwd: str | None = None) -> None:
        if not command:
            raise ValueError("a node command is needed")
        if not 1 <= node_count <= 32:
            raise ValueError("node_count must be between 1 and 32")
        self.command = list(command)
        self.node_ids = [f"n{i}" for i in range(node_count)]
        self.seed = seed
        self.config = config or NodeConfig()
        self.cwd = cwd
        self.rng = random.Random(seed)
        self.events: queue.Queue = queue.Queue()
        self.router = Router(self.rng, [*self.node_ids, *SERVICE_NAMES])
        self.services: dict[str, Service] = make_services(self.rng)
        self.history = HistoryRecorder()
        self.processes: dict[str, NodeProcess] = {}
        self.reaped: list[NodeProcess] = []
        self._dests = _Destinations(self.node_ids)
        self._schedule: list[tuple[float, int, MessageRecord, str, str, dict]] = []
        self._tiebreak = itertools.count()
        self._held: dict[str, list[tuple[MessageRecord, str, str, dict]]] = {}
        self._clients: dict[int, KafkaClient] = {}  # slot -> client
        self._clients_by_name: dict[str, KafkaClient] = {}
        self._next_process = 0
        self._awaiting_init: dict[str, int] = {}  # node -> incarnation whose init_ok is due
        self._incarnation: dict[str, int] = {}
        self._last_activity_ms = 0.0
        self._started_s = time.monotonic()
        self._commit_floor: dict[str, int] = {}  # key -> highest commit offset invoked
        self._keys: set[str] = set()

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> NodeTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill and reap every node process (idempotent)."""
        while self.processes:
            _, proc = self.processes.popitem()
            proc.close()
            self.reaped.append(proc)

    def now_ms(self) -> float:
        return (time.monotonic() - self._started_s) * 1000.0

    def start(self) -> None:
        """Start every node and wait (bounded) for each `init_ok`."""
        assert not self.processes, "already started"
        try:
            for node in self.node_ids:
                self._spawn(node)
            self._wait_init()
        except BaseException:
            self.close()
            raise

    def _spawn(self, node: str) -> None:
        incarnation = self._incarnation.get(node, -1) + 1
        self._incarnation[node] = incarnation
        proc = NodeProcess(node, self.command, self.events, incarnation, cwd=self.cwd)
        self.processes[node] = proc
        self._awaiting_init[node] = incarnation
        body = {"type": "init", "msg_id": 1 + incarnation, "node_id": node, "node_ids": list(self.node_ids)}
        record, _ = self.router.route(self.now_ms(), INIT_SOURCE, node, body)
        proc.send_line(encode(INIT_SOURCE, node, body))
        record.delivered_ms.append(self.now_ms())

    def _wait_init(self) -> None:
        deadline = self.now_ms() + self.config.init_timeout_ms
        if not self._pump(deadline, lambda: not self._awaiting_init):
            node = sorted(self._awaiting_init)[0]
            raise NodeProtocolError(node, f"no init_ok within {self.config.init_timeout_ms:g} ms",
                                    stderr_tail=self.processes[node].stderr_tail())

    # -- the event loop ------------------------------------------------------------------------

    def _pump(self, until_ms: float, stop: Callable[[], bool] | None = None) -> bool:
        """Run the network until `stop()` holds (True) or `until_ms` passes (False)."""
        while True:
            now = self.now_ms()
            self._deliver_due(now)
            for client in list(self._clients_by_name.values()):
                client.expire(now)
            if stop is not None and stop():
                return True
            if now >= until_ms:
                return False
            wake = min(until_ms, self._schedule[0][0] if self._schedule else until_ms,
                       *(c.pending.deadline_ms for c in self._clients_by_name.values() if c.pending))
            timeout_s = min(max(wake - now, 0.0) / 1000.0, WAKE_MAX_S)
            try:
                event = self.events.get(timeout=timeout_s)
            except queue.Empty:
                continue
            self._handle(event)
            while True:
                try:
                    self._handle(self.events.get_nowait())
                except queue.Empty:
                    break

    def _handle(self, event: tuple) -> None:
        if event[0] == "eof":
            _, node, incarnation = event
            proc = self.processes.get(node)
            if proc is not None and proc.incarnation == incarnation and not proc.closed:
                proc.close()
                raise NodeStartError(node, f"exited unexpectedly (exit code {proc.returncode})",
                                     stderr_tail=proc.stderr_tail())
            return
        _, node, incarnation, number, line = event
        if not line.strip():
            return  # a blank line is no message; tolerated
        msg = decode(node, number, line, self._dests)
        now = self.now_ms()
        self._last_activity_ms = now
        src, dest, body = msg["src"], msg["dest"], msg["body"]
        if dest == INIT_SOURCE:
            if body["type"] == "init_ok" and self._awaiting_init.get(node) == incarnation:
                del self._awaiting_init[node]
            self.router.route(now, src, dest, body)[0].delivered_ms.append(now)
            return
        if dest in self._clients_by_name or _CLIENT_NAME.fullmatch(dest):
            record, _ = self.router.route(now, src, dest, body)
            client = self._clients_by_name.get(dest)
            if client is None:
                record.fate = "dropped: client gone"
                return
            record.delivered_ms.append(now)
            client.on_reply(now, node, body, number, line.rstrip("\n"))
            return
        self._transmit(src, dest, body)

    def _transmit(self, src: str, dest: str, body: dict) -> None:
        now = self.now_ms()
        self._last_activity_ms = now
        record, delays = self.router.route(now, src, dest, body)
        for delay in delays:
            heapq.heappush(self._schedule, (now + delay, next(self._tiebreak), record, src, dest, body))

    def _deliver_due(self, now: float) -> None:
        while self._schedule and self._schedule[0][0] <= now:
            _, _, record, src, dest, body = heapq.heappop(self._schedule)
            self._deliver(now, record, src, dest, body)

    def _deliver(self, now: float, record: MessageRecord, src: str, dest: str, body: dict) -> None:
        self._last_activity_ms = now
        if dest in self.services:
            record.delivered_ms.append(now)
            reply = self.services[dest].handle(src, body)
            if "msg_id" in body:
                reply["in_reply_to"] = body["msg_id"]
            self._transmit(dest, src, reply)
            return
        proc = self.processes.get(dest)
        if proc is None or proc.closed:
            record.fate = "dropped: node down"
            return
        if proc.paused:
            self._held.setdefault(dest, []).append((record, src, dest, body))
            return
        record.delivered_ms.append(now)
        proc.send_line(encode(src, dest, body))

    def quiesce(self, max_ms: float | None = None, window_ms: float | None = None) -> bool:
        """Wait until nothing is in flight and no message moved for `window_ms` (default
        `quiet_window_ms`): True; or until `max_ms` (default `quiesce_max_ms`) passed: False."""
        bound = self.config.quiesce_max_ms if max_ms is None else max_ms
        window = self.config.quiet_window_ms if window_ms is None else window_ms
        assert bound >= 0 and window > 0

        def quiet() -> bool:
            return not self._schedule and self.now_ms() - self._last_activity_ms >= window

        return self._pump(self.now_ms() + bound, quiet)

    # -- clients -------------------------------------------------------------------------------

    def _client(self, slot: int) -> KafkaClient:
        client = self._clients.get(slot)
        if client is None:
            client = self._new_client(slot)
        return client

    def _new_client(self, slot: int) -> KafkaClient:
        process = self._next_process
        self._next_process += 1
        client = KafkaClient(f"c{process + 1}", process, self.history, self._client_transmit,
                             self.config.request_timeout_ms)
        self._clients[slot] = client
        self._clients_by_name[client.name] = client
        return client

    def _client_transmit(self, src: str, dest: str, body: dict) -> None:
        if dest not in self.node_ids:
            raise ValueError(f"no node {dest!r} (nodes: {', '.join(self.node_ids)})")
        self._transmit(src, dest, body)

    def _await(self, client: KafkaClient) -> str:
        bound = self.now_ms() + self.config.request_timeout_ms + self.config.wait_max_ms
        self._pump(bound, lambda: client.idle)
        assert client.idle, "a client's own timeout completes every request"
        op = client.last_completion
        assert op is not None
        return _describe_completion(op)

    # -- steps ---------------------------------------------------------------------------------

    def run(self, steps: Sequence[NodeStep]) -> NodeRun:
        """Apply `steps`, heal, do the final read and return the run. Reaps on any error."""
        started = time.monotonic()
        outcomes: list[str] = []
        try:
            if not self.processes:
                self.start()
            for step in steps:
                outcomes.append(self.step(step))
            complete = self.final_read()
        finally:
            stderr = {node: proc.stderr_tail() for node, proc in self.processes.items()}
            self.close()
        return NodeRun(self.command, list(self.node_ids), self.seed, list(steps), self.history.ops,
                       [m.to_dict() for m in self.router.log], outcomes, stderr, complete,
                       time.monotonic() - started)

    def step(self, step: NodeStep) -> str:
        """Apply one step; returns its outcome line (`→ …`)."""
        handler = getattr(self, "_step_" + step.kind.replace("-", "_"))
        return handler(**step.args)

    def _client_step(self, client: int, node: str, wait: bool, start: Callable[[KafkaClient], str | None]) -> str:
        if node not in self.node_ids:
            raise ValueError(f"no node {node!r} (nodes: {', '.join(self.node_ids)})")
        c = self._client(client)
        if not c.idle:
            return "→ skipped: the client is busy"
        skipped = start(c)
        if skipped:
            return f"→ skipped: {skipped}"
        return self._await(c) if wait else "→ in flight"

    def _step_send(self, client: int, node: str, key: str, msg: Any, wait: bool = True) -> str:
        self._keys.add(key)
        return self._client_step(client, node, wait, lambda c: c.send(self.now_ms(), node, key, msg))

    def _step_poll(self, client: int, node: str, key: str, wait: bool = True) -> str:
        return self._client_step(client, node, wait, lambda c: c.poll(self.now_ms(), node, key))

    def _step_commit(self, client: int, node: str, key: str, wait: bool = True) -> str:
        def start(c: KafkaClient) -> str | None:
            offset = c.polled_max.get(key)
            if offset is None:
                return f"the client has polled nothing of {key}"
            # Commits of a key only move forward across all clients: then a correct node may
            # keep either the last or the highest commit, and both read as one register.
            floor = self._commit_floor.get(key)
            if floor is not None and offset <= floor:
                return f"offset {offset} is not above the highest commit of {key} so far ({floor})"
            self._commit_floor[key] = offset
            c.commit(self.now_ms(), node, key, offset)
            return None

        return self._client_step(client, node, wait, start)

    def _step_list(self, client: int, node: str, keys: list[str], wait: bool = True) -> str:
        return self._client_step(client, node, wait, lambda c: c.list(self.now_ms(), node, list(keys)))

    def _step_partition(self, groups: list[list[str]], note: str | None = None) -> str:
        self.router.partition(groups)
        return "→ done"

    def _step_heal(self) -> str:
        self.router.heal()
        return "→ done"

    def _step_faults(self, loss: float | None = None, duplicate: float | None = None,
                     delay_lo_ms: float | None = None, delay_hi_ms: float | None = None) -> str:
        delay = None
        if delay_lo_ms is not None or delay_hi_ms is not None:
            lo = delay_lo_ms or 0.0
            delay = (lo, delay_hi_ms if delay_hi_ms is not None else lo)
        self.router.set_faults(loss=loss, duplicate=duplicate, delay_ms=delay)
        return "→ done"

    def _step_drop(self, src: str | None = None, dest: str | None = None, type: str | None = None,
                   count: int = 1) -> str:
        self.router.drop_next(DropRule(count, src, dest, type))
        return "→ armed"

    def _node(self, node: str) -> NodeProcess:
        if node not in self.processes:
            raise ValueError(f"no node {node!r} (nodes: {', '.join(self.node_ids)})")
        return self.processes[node]

    def _step_crash(self, node: str) -> str:
        proc = self._node(node)
        proc.close()
        self.reaped.append(proc)
        self._held.pop(node, None)  # what a paused node had not read dies with it
        self._spawn(node)
        self._wait_init()
        return f"→ restarted (pid {self.processes[node].pid})"

    def _step_pause(self, node: str) -> str:
        proc = self._node(node)
        if proc.paused:
            return "→ skipped: already paused"
        proc.pause()
        return "→ paused"

    def _step_resume(self, node: str) -> str:
        proc = self._node(node)
        if not proc.paused:
            return "→ skipped: not paused"
        proc.resume()
        now = self.now_ms()
        for record, src, dest, body in self._held.pop(node, []):
            self._deliver(now, record, src, dest, body)
        return "→ resumed"

    def _step_client_crash(self, client: int) -> str:
        old = self._client(client)
        old.crash(self.now_ms())
        del self._clients_by_name[old.name]
        fresh = self._new_client(client)
        return f"→ back as process {fresh.process}"

    def _step_quiesce(self, window_ms: float | None = None) -> str:
        started = self.now_ms()
        quiet = self.quiesce(window_ms=window_ms)
        took = self.now_ms() - started
        return f"→ quiet after {took:.0f} ms" if quiet else f"→ not quiet after {took:.0f} ms"

    def _step_wait(self, ms: float) -> str:
        if not 0 <= ms <= self.config.wait_max_ms:
            raise ValueError(f"wait ms must be within 0..{self.config.wait_max_ms:g}")
        self._pump(self.now_ms() + ms)
        return "→ done"

    # -- the final read ------------------------------------------------------------------------

    def final_read(self) -> dict[str, bool]:
        """Heal everything, wait for quiet, then poll every key from 0 to its end.

        A key's final read is the chain of polls from 0, each from the previous one's last
        offset + 1, ending with an empty poll (that is the evidence it reached the end). If a
        poll keeps failing the chain is incomplete: its polls lose `final` (so `unseen` is
        not judged on a partial read) and the key is reported as incomplete.
        """
        self.router.heal()
        for node, proc in self.processes.items():
            if proc.paused:
                self._step_resume(node)
        for slot in list(self._clients):
            client = self._clients[slot]
            if not client.idle:
                self._pump(client.pending.deadline_ms + WAKE_MAX_S * 1000, lambda c=client: c.idle)
        self.quiesce()
        reader = self._new_client(-1)
        return {key: self._final_read_key(reader, key) for key in sorted(self._keys)}

    def _final_read_key(self, reader: KafkaClient, key: str) -> bool:
        node = self.node_ids[0]
        start, attempts = 0, 0
        for _ in range(10_000):  # bounded: every successful poll advances `start`
            reader.poll_from(self.now_ms(), node, key, start)
            self._await(reader)
            op = reader.last_completion
            assert op is not None
            if op["type"] != "ok":
                attempts += 1
                if attempts >= self.config.final_poll_attempts:
                    break
                continue
            attempts = 0
            if not op["value"]:
                return True
            start = max(o for o, _ in op["value"]) + 1
        for op in self.history.ops:  # the reader did only final polls, one key after another
            if op["process"] == reader.process and op.get("key") == key:
                op.pop("final", None)
        return False


def _describe_completion(op: dict) -> str:
    kind, f = op["type"], op["f"]
    if kind != "ok":
        return f"→ {kind} ({op.get('error', '?')})"
    if f == "send":
        return f"→ ok at offset {op['offset']}"
    if f == "poll":
        offsets = [o for o, _ in op["value"]]
        return f"→ ok from {op['offset']}: " + (f"offsets {offsets[0]}..{offsets[-1]} ({len(offsets)})" if offsets else "nothing")
    if f == "list_committed_offsets":
        return f"→ ok {op['value']}"
    return "→ ok"


__all__ = ["NodeConfig", "NodeError", "NodeRun", "NodeTarget"]
