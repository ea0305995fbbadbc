"""`NodeTarget`: a system under test made of real node processes -- it takes steps and
yields a history (plus the message log), the shape of the campaign's target seam.

The steps are `NodeStep`s (steps.py); `NodeRuntime` (runtime.py) owns the processes, the
network and the clients; this module turns steps into runtime calls, does the final read
and packs the result into a `NodeRun`. Node processes are real and not deterministic (their
own threads and timers, the OS scheduler), so the same steps and seed give the same
*decisions* by replicheck (faults, service choices) but not necessarily the same history.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from replicheck.nodes.client import KafkaClient
from replicheck.nodes.errors import NodeError
from replicheck.nodes.process import NodeProcess
from replicheck.nodes.router import DropRule
from replicheck.nodes.runtime import WAKE_MAX_S, NodeConfig, NodeRuntime
from replicheck.nodes.steps import NodeStep

if TYPE_CHECKING:
    from replicheck.nodes.verdict import NodeVerdict


@dataclass
class NodeRun:
    """What a run yields: the history (log format) and the message log, plus context."""

    command: list[str]
    node_ids: list[str]
    seed: int
    steps: list[NodeStep]
    history: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    step_outcomes: list[str]
    stderr_tails: dict[str, str]
    final_read_complete: dict[str, bool]
    elapsed_s: float
    #: index into `messages` where each step began, then where the final read began
    step_marks: list[int] = field(default_factory=list)
    _verdict: NodeVerdict | None = field(default=None, repr=False)

    @property
    def verdict(self) -> NodeVerdict:
        """The committed-offsets and log verdicts (`replicheck.nodes.verdict.NodeVerdict`)."""
        if self._verdict is None:
            from replicheck.nodes.verdict import check_run

            self._verdict = check_run(self.history)
        return self._verdict

    def log_ops(self) -> list[dict[str, Any]]:
        """The sends and polls only: what `replicheck check --model log` reads."""
        return [op for op in self.history if op["f"] in ("send", "poll")]

    @property
    def violation(self) -> bool:
        return not self.verdict.valid

    def story(self) -> str:
        lines = [
            f"{i}. {step.describe()} {outcome}"
            for i, (step, outcome) in enumerate(zip(self.steps, self.step_outcomes, strict=True), 1)
        ]
        return "\n".join(lines)


class NodeTarget(NodeRuntime):
    """A `NodeRuntime` that takes `NodeStep`s: `run(steps) -> NodeRun`."""

    def __init__(
        self,
        command: Sequence[str],
        node_count: int = 1,
        *,
        seed: int = 0,
        config: NodeConfig | None = None,
        cwd: str | None = None,
    ) -> None:
        super().__init__(command, node_count, seed=seed, config=config, cwd=cwd)
        self._commit_floor: dict[str, int] = {}  # key -> highest commit offset invoked
        self._keys: set[str] = set()  # every key sent to: the final read polls them

    def _await(self, client: KafkaClient) -> str:
        """Wait for the client's request; its outcome, with the listing that assigned a
        key first when a poll needed one ("assigned from committed {}; ok from 0: …")."""
        seen = len(self.history.ops)
        bound = self.now_ms() + self.config.request_timeout_ms + self.config.wait_max_ms
        self._pump(bound, lambda: client.idle)
        assert client.idle, "a client's own timeout completes every request"
        op = client.last_completion
        assert op is not None
        outcome = _describe_completion(op)
        if op["f"] != "poll":
            return outcome
        for earlier in self.history.ops[seen:]:
            if (
                earlier["process"] == client.process
                and earlier["f"] == "list_committed_offsets"
                and earlier["type"] == "ok"
            ):
                return f"→ assigned from committed {earlier['value']}; " + outcome[2:]
        return outcome

    # -- steps ---------------------------------------------------------------------------------

    def run(self, steps: Sequence[NodeStep]) -> NodeRun:
        """Apply `steps`, heal, do the final read and return the run. Reaps on any error."""
        started = time.monotonic()
        outcomes: list[str] = []
        marks: list[int] = []
        try:
            self.start()
            for step in steps:
                marks.append(len(self.router.log))
                outcomes.append(self.step(step))
            marks.append(len(self.router.log))
            complete = self.final_read()
        finally:
            stderr = {node: proc.stderr_tail() for node, proc in self.processes.items()}
            self.close()
        return NodeRun(
            self.command,
            list(self.node_ids),
            self.seed,
            list(steps),
            self.history.ops,
            [m.to_dict() for m in self.router.log],
            outcomes,
            stderr,
            complete,
            time.monotonic() - started,
            marks,
        )

    def step(self, step: NodeStep) -> str:
        """Apply one step; returns its outcome line (`→ …`). Wrong args are a ValueError."""
        handler = getattr(self, "_step_" + step.kind.replace("-", "_"))
        try:
            inspect.signature(handler).bind(**step.args)
        except TypeError as exc:
            raise ValueError(f"step {step.kind!r}: {exc}") from None
        outcome = handler(**step.args)
        assert isinstance(outcome, str)
        return outcome

    def _client_step(
        self, client: int, node: str, wait: bool, start: Callable[[KafkaClient], str | None]
    ) -> str:
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
        return self._client_step(
            client, node, wait, lambda c: c.send(self.now_ms(), node, key, msg)
        )

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
        return self._client_step(
            client, node, wait, lambda c: c.list(self.now_ms(), node, list(keys))
        )

    def _step_partition(self, groups: list[list[str]], note: str | None = None) -> str:
        self.router.partition(groups)
        return "→ done"

    def _step_heal(self) -> str:
        self.router.heal()
        return "→ done"

    def _step_faults(
        self,
        loss: float | None = None,
        duplicate: float | None = None,
        delay_lo_ms: float | None = None,
        delay_hi_ms: float | None = None,
    ) -> str:
        delay = None
        if delay_lo_ms is not None or delay_hi_ms is not None:
            lo = delay_lo_ms or 0.0
            delay = (lo, delay_hi_ms if delay_hi_ms is not None else lo)
        self.router.set_faults(loss=loss, duplicate=duplicate, delay_ms=delay)
        return "→ done"

    def _step_drop(
        self,
        src: str | None = None,
        dest: str | None = None,
        type: str | None = None,
        count: int = 1,
    ) -> str:
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

    # -- views (the seam's snapshot, seam.py) -----------------------------------------------

    def client_process(self, slot: int) -> int:
        """The history process of client slot `slot` now (a new one after a client crash)."""
        return self._client(slot).process

    def run_network(self, until_ms: float, done: Callable[[], bool] | None = None) -> bool:
        """Let the network run (real time passes) until `done()` (True) or `until_ms` (False)."""
        return self._pump(until_ms, done)

    def describe_state(self) -> list[str]:
        """Each node's process, the network's faults and each client, one line each."""
        lines = []
        for node in self.node_ids:
            proc = self.processes.get(node)
            if proc is None or proc.closed:
                lines.append(f"{node}: down")
                continue
            state = "paused (SIGSTOP)" if proc.paused else "running"
            lines.append(f"{node}: pid {proc.pid}, {state}, incarnation {proc.incarnation}")
        lines.append(f"network: {self.router.describe()}")
        for slot, client in sorted(self._clients.items()):
            busy = client.pending
            doing = "idle" if busy is None else f"waiting for {busy.invoke['f']} via {busy.node}"
            lines.append(f"client {slot}: process {client.process}, {doing}")
        return lines

    # -- the final read ------------------------------------------------------------------------

    def final_read(self, process: int | None = None) -> dict[str, bool]:
        """Heal everything, wait for quiet, then poll every key from 0 to its end.

        A key's final read is the chain of polls from 0, each from the previous one's last
        offset + 1, ending with an empty poll (that is the evidence it reached the end). If a
        poll keeps failing the chain is incomplete: its polls lose `final` (so `unseen` is
        not judged on a partial read) and the key is reported as incomplete. The reader is
        history process `process` if that number is still free (a crashed client's
        successor may have taken it), else the next unused one.
        """
        self.router.heal()
        for node, proc in self.processes.items():
            if proc.paused:
                self._step_resume(node)
        for slot in list(self._clients):
            client = self._clients[slot]
            if client.pending is not None:
                bound_ms = client.pending.deadline_ms + WAKE_MAX_S * 1000

                def idle(c: KafkaClient = client) -> bool:
                    return c.idle

                self._pump(bound_ms, idle)
        self.quiesce()
        free = process is not None and process >= self._next_process
        reader = self._new_client(-1, process if free else None)
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


def _describe_completion(op: dict[str, Any]) -> str:
    kind, f = op["type"], op["f"]
    if kind != "ok":
        return f"→ {kind} ({op.get('error', '?')})"
    if f == "send":
        return f"→ ok at offset {op['offset']}"
    if f == "poll":
        offsets = [o for o, _ in op["value"]]
        return f"→ ok from {op['offset']}: " + (
            f"offsets {offsets[0]}..{offsets[-1]} ({len(offsets)})" if offsets else "nothing"
        )
    if f == "list_committed_offsets":
        return f"→ ok {op['value']}"
    return "→ ok"


__all__ = ["NodeConfig", "NodeError", "NodeRun", "NodeTarget"]
