"""One node: a real OS process speaking Maelstrom's protocol over its own pipes.

Each process gets its own session (process group), so a crash kills everything the command
started (a shell wrapper and its child alike) and a pause stops all of it. Three small
threads per process keep the driver from ever blocking on a pipe: one reads stdout lines
into the shared event queue, one keeps the stderr tail, one writes stdin. Every wait here
is bounded; `close` always reaps the process, also when it was paused.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Sequence

from replicheck.nodes.errors import NodeStartError

STDERR_TAIL_LINES = 200
REAP_TIMEOUT_S = 5.0
JOIN_TIMEOUT_S = 2.0

#: queue items: ("out", node, incarnation, line_number, text) | ("eof", node, incarnation)
Event = tuple[str, str, int] | tuple[str, str, int, int, str]


class NodeProcess:
    """An incarnation of node `node_id`; a crash-restart makes a new `NodeProcess`."""

    def __init__(
        self,
        node_id: str,
        argv: Sequence[str],
        events: queue.Queue[Event],
        incarnation: int,
        cwd: str | None = None,
    ) -> None:
        assert argv, "a node needs a command"
        self.node_id = node_id
        self.argv = list(argv)
        self.incarnation = incarnation
        self.paused = False
        self.closed = False
        self._events = events
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stderr_lock = threading.Lock()  # copying a deque while it grows would raise
        self._stdin: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                start_new_session=True,
                bufsize=0,
            )
        except OSError as exc:  # FileNotFoundError, PermissionError, ...
            raise NodeStartError(
                node_id, f"cannot start {self.argv[0]!r}: {exc.strerror or exc}"
            ) from None
        self.pid = self._proc.pid
        self._threads: list[threading.Thread] = []
        try:  # from here on an interrupt must not orphan the process
            for target, suffix in (
                (self._read_stdout, "out"),
                (self._read_stderr, "err"),
                (self._write_stdin, "in"),
            ):
                thread = threading.Thread(target=target, daemon=True, name=f"{node_id}-{suffix}")
                self._threads.append(thread)
                thread.start()
        except BaseException:  # e.g. Ctrl-C right here: nobody else knows this process yet
            self.close()
            raise

    # -- pipes -------------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for number, raw in enumerate(self._proc.stdout, 1):
            text = raw.decode("utf-8", errors="replace")
            self._events.put(("out", self.node_id, self.incarnation, number, text))
        self._events.put(("eof", self.node_id, self.incarnation))

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for raw in self._proc.stderr:
            with self._stderr_lock:
                self._stderr.append(raw.decode("utf-8", errors="replace").rstrip("\n"))

    def _write_stdin(self) -> None:
        assert self._proc.stdin is not None
        while (data := self._stdin.get()) is not None:
            try:
                self._proc.stdin.write(data)
            except OSError:  # the process died: what it did not read is lost, as on a crash
                break
        with contextlib.suppress(OSError):
            self._proc.stdin.close()

    def send_line(self, line: str) -> None:
        """Queue one line for the node's stdin (never blocks the driver)."""
        assert line.endswith("\n")
        self._stdin.put(line.encode("utf-8"))

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll()

    def stderr_tail(self, lines: int = 20) -> str:
        with self._stderr_lock:
            return "\n".join(list(self._stderr)[-lines:])

    def _signal_group(self, signum: int) -> None:
        if self.closed and self._proc.returncode is not None:
            return  # reaped: the id may belong to someone else by now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def pause(self) -> None:
        """SIGSTOP the node's process group: it neither reads nor writes until `resume`."""
        self._signal_group(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        self._signal_group(signal.SIGCONT)
        self.paused = False

    def close(self) -> None:
        """Kill -9 the whole group, reap it and stop the pipe threads (idempotent, bounded)."""
        if self.closed:
            return
        self.closed = True
        self._signal_group(signal.SIGKILL)
        self._signal_group(signal.SIGCONT)  # a stopped process still dies, but be explicit
        self.paused = False
        try:
            self._proc.wait(timeout=REAP_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            self._proc.kill()
            self._proc.wait(timeout=REAP_TIMEOUT_S)
        self._stdin.put(None)
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(timeout=JOIN_TIMEOUT_S)
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                pipe.close()
