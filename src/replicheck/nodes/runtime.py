"""The driver of real node processes: their pipes, the network between them, the services
and the clients -- everything a `NodeTarget` needs to take steps.

One driver thread owns everything: the event queue the pipe threads fill, the schedule of
messages in flight (a heap ordered by delivery time), the clients and the services. Time is
the monotonic clock in ms since the run started. Nothing here sleeps for a fixed time:
every wait is "until a condition or a stated bound" (`_pump`), and the network counts as
quiet once nothing is in flight and no message moved for a window (`quiesce`).

`close()` (also via `with`) kills and reaps every process, whichever way the run ends.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from replicheck.nodes.client import KafkaClient
from replicheck.nodes.errors import NodeProtocolError, NodeStartError
from replicheck.nodes.process import Event, NodeProcess
from replicheck.nodes.protocol import decode, encode
from replicheck.nodes.recorder import HistoryRecorder
from replicheck.nodes.router import MessageRecord, Router
from replicheck.nodes.services import SERVICE_NAMES, Service, make_services

INIT_SOURCE = "c0"  # Maelstrom's init comes from a client; workload clients are c1, c2, ...
CLIENT_NAME = re.compile(r"c[0-9]+")
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


class _Destinations:
    """`in` for the protocol check: nodes, services and any client name."""

    def __init__(self, nodes: Sequence[str]) -> None:
        self.fixed = frozenset(nodes) | frozenset(SERVICE_NAMES)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.fixed or bool(CLIENT_NAME.fullmatch(name)))


class NodeRuntime:
    """N copies of `command` (`n0`…), the services, the kafka clients and the network."""

    def __init__(
        self,
        command: Sequence[str],
        node_count: int = 1,
        *,
        seed: int = 0,
        config: NodeConfig | None = None,
        cwd: str | None = None,
    ) -> None:
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
        self.events: queue.Queue[Event] = queue.Queue()
        self.router = Router(self.rng, [*self.node_ids, *SERVICE_NAMES])
        self.services: dict[str, Service] = make_services(self.rng)
        self.history = HistoryRecorder()
        self.processes: dict[str, NodeProcess] = {}
        self.reaped: list[NodeProcess] = []
        self._dests = _Destinations(self.node_ids)
        self._schedule: list[tuple[float, int, MessageRecord, str, str, dict[str, Any]]] = []
        self._tiebreak = itertools.count()
        self._held: dict[str, list[tuple[MessageRecord, str, str, dict[str, Any]]]] = {}
        self._clients: dict[int, KafkaClient] = {}  # slot -> client
        self._clients_by_name: dict[str, KafkaClient] = {}
        self._next_process = 0
        self._awaiting_init: dict[str, int] = {}  # node -> incarnation whose init_ok is due
        self._incarnation: dict[str, int] = {}
        self._last_activity_ms = 0.0
        self._started_s = time.monotonic()
        #: checked while the network runs: True raises KeyboardInterrupt (interrupts.py)
        self.interrupted: Callable[[], bool] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
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

    def launch(self) -> None:
        """Start every node process and send its `init`, without waiting for the answers
        (a search launches the next example's nodes while the current one runs)."""
        assert not self.processes, "already started"
        try:
            for node in self.node_ids:
                self._spawn(node)
        except BaseException:
            self.close()
            raise

    def start(self) -> None:
        """Launch the nodes (unless launched) and wait (bounded) for each `init_ok`."""
        try:
            if not self.processes:
                self.launch()
            if self._awaiting_init:
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
        body = {
            "type": "init",
            "msg_id": 1 + incarnation,
            "node_id": node,
            "node_ids": list(self.node_ids),
        }
        record, _ = self.router.route(self.now_ms(), INIT_SOURCE, node, body)
        proc.send_line(encode(INIT_SOURCE, node, body))
        record.delivered_ms.append(self.now_ms())

    def _wait_init(self) -> None:
        deadline = self.now_ms() + self.config.init_timeout_ms
        if not self._pump(deadline, lambda: not self._awaiting_init):
            node = sorted(self._awaiting_init)[0]
            raise NodeProtocolError(
                node,
                f"no init_ok within {self.config.init_timeout_ms:g} ms",
                stderr_tail=self.processes[node].stderr_tail(),
            )

    # -- the event loop ------------------------------------------------------------------------

    def _pump(self, until_ms: float, stop: Callable[[], bool] | None = None) -> bool:
        """Run the network until `stop()` holds (True) or `until_ms` passes (False)."""
        while True:
            if self.interrupted is not None and self.interrupted():
                raise KeyboardInterrupt
            now = self.now_ms()
            self._deliver_due(now)
            for client in list(self._clients_by_name.values()):
                client.expire(now)
            if stop is not None and stop():
                return True
            if now >= until_ms:
                return False
            wake = min(
                until_ms,
                self._schedule[0][0] if self._schedule else until_ms,
                *(c.pending.deadline_ms for c in self._clients_by_name.values() if c.pending),
            )
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

    def _handle(self, event: Event) -> None:
        if len(event) == 3:
            _, node, incarnation = event
            proc = self.processes.get(node)
            if proc is not None and proc.incarnation == incarnation and not proc.closed:
                proc.close()
                raise NodeStartError(
                    node,
                    f"exited unexpectedly (exit code {proc.returncode})",
                    stderr_tail=proc.stderr_tail(),
                )
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
        if dest in self._clients_by_name or CLIENT_NAME.fullmatch(dest):
            record, _ = self.router.route(now, src, dest, body)
            client = self._clients_by_name.get(dest)
            if client is None:
                record.fate = "dropped: client gone"
                return
            record.delivered_ms.append(now)
            client.on_reply(now, node, body, number, line.rstrip("\n"))
            return
        self._transmit(src, dest, body)

    def _transmit(self, src: str, dest: str, body: dict[str, Any]) -> None:
        now = self.now_ms()
        self._last_activity_ms = now
        record, delays = self.router.route(now, src, dest, body)
        for delay in delays:
            heapq.heappush(
                self._schedule, (now + delay, next(self._tiebreak), record, src, dest, body)
            )

    def _deliver_due(self, now: float) -> None:
        while self._schedule and self._schedule[0][0] <= now:
            _, _, record, src, dest, body = heapq.heappop(self._schedule)
            self._deliver(now, record, src, dest, body)

    def _deliver(
        self, now: float, record: MessageRecord, src: str, dest: str, body: dict[str, Any]
    ) -> None:
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

    def _new_client(self, slot: int, process: int | None = None) -> KafkaClient:
        """A fresh client in `slot`, as history process `process` (default: the next)."""
        if process is None:
            process = self._next_process
        assert process >= self._next_process, "history processes are never reused"
        self._next_process = process + 1
        client = KafkaClient(
            f"c{process + 1}",
            process,
            self.history,
            self._client_transmit,
            self.config.request_timeout_ms,
        )
        self._clients[slot] = client
        self._clients_by_name[client.name] = client
        return client

    def _client_transmit(self, src: str, dest: str, body: dict[str, Any]) -> None:
        if dest not in self.node_ids:
            raise ValueError(f"no node {dest!r} (nodes: {', '.join(self.node_ids)})")
        self._transmit(src, dest, body)
