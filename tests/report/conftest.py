"""Hand-made runs (section 3 of docs/internals.md) for the report tests.

A small, fully known lost-write story: broker 1 leads, m1 is acknowledged at offset 1 while
broker 3 is cut off, broker 1 loses power before the others learn of it, and broker 3 —
elected without m1 — accepts m2 at offset 1. The final read shows m2 where m1 was promised.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from replicheck.checker.log_anomalies import check_log
from replicheck.stateful.result import RunResult


@dataclass(frozen=True)
class FakeConfig:
    broker_count: int = 3
    topic: str = "orders"
    flaws: frozenset[str] = frozenset()
    at_least_once: bool = False  # ClusterConfig's: are duplicates allowed?

    def to_dict(self) -> dict[str, Any]:
        return {
            "broker_count": self.broker_count,
            "topic": self.topic,
            "flaws": sorted(self.flaws),
        }


@dataclass(frozen=True)
class FakeStep:
    kind: str
    args: dict = field(default_factory=dict)

    def describe(self, topic: str = "orders") -> str:
        a = self.args
        if self.kind == "send":
            return f"client {a['process']} sends {a['message']} to {topic}-{a['partition']}"
        if self.kind == "power-loss":
            return f"broker {a['broker']} loses power"
        if self.kind == "partition":
            return "network splits " + " | ".join("{" + ", ".join(g) + "}" for g in a["groups"])
        if self.kind == "tick":
            return f"time passes {a['ms']} ms"
        return self.kind


# The run itself is a real RunResult: only its configuration and steps are hand-made, so
# the report reads exactly the contract the campaign fills.
FakeResult = RunResult


def _ns(ms: int) -> int:
    return ms * 1_000_000


def lost_write_result(
    m0: str = "m0", m1: str = "m1", m2: str = "m2", flaws: frozenset[str] = frozenset({"demo"})
) -> FakeResult:
    history: list[dict] = []

    def op(process: int, type_: str, f: str, time_ms: int, **fields: Any) -> None:
        history.append(
            {
                "index": len(history),
                "time": _ns(time_ms),
                "process": process,
                "type": type_,
                "f": f,
                "key": "orders-0",
                **fields,
            }
        )

    op(0, "invoke", "send", 10, value=m0)
    op(0, "ok", "send", 14, value=m0, offset=0)
    op(1, "invoke", "send", 20, value=m1)
    op(1, "ok", "send", 26, value=m1, offset=1)
    op(2, "invoke", "send", 400, value=m2)
    op(2, "ok", "send", 405, value=m2, offset=1)
    op(3, "invoke", "poll", 2000, value=None, offset=0, final=True)
    op(3, "ok", "poll", 2004, value=[[0, m0], [1, m2]], offset=0, final=True)

    events = [
        {
            "time_ms": 0,
            "kind": "leader",
            "partition": "orders-0",
            "leader": 1,
            "leader_epoch": 0,
            "isr": [1, 2, 3],
        },
        {"time_ms": 14, "kind": "leo", "broker": 1, "partition": "orders-0", "leo": 1},
        {"time_ms": 14, "kind": "hw", "broker": 1, "partition": "orders-0", "hw": 1},
        {"time_ms": 18, "kind": "partition", "groups": [["b3"], ["b1", "b2", "c0", "c1"]]},
        {"time_ms": 21, "kind": "leo", "broker": 1, "partition": "orders-0", "leo": 2},
        {"time_ms": 24, "kind": "leo", "broker": 2, "partition": "orders-0", "leo": 2},
        {"time_ms": 26, "kind": "hw", "broker": 1, "partition": "orders-0", "hw": 2},
        {"time_ms": 30, "kind": "power-loss", "broker": 1, "lost": {"orders-0": 1}},
        {"time_ms": 30, "kind": "power-loss", "broker": 2, "lost": {"orders-0": 1}},
        {"time_ms": 300, "kind": "heal"},
        {
            "time_ms": 320,
            "kind": "leader",
            "partition": "orders-0",
            "leader": 3,
            "leader_epoch": 1,
            "isr": [3],
        },
        {"time_ms": 401, "kind": "leo", "broker": 3, "partition": "orders-0", "leo": 2},
        {"time_ms": 401, "kind": "hw", "broker": 3, "partition": "orders-0", "hw": 2},
        {"time_ms": 1500, "kind": "restart", "broker": 1},
        {"time_ms": 1500, "kind": "restart", "broker": 2},
        {"time_ms": 1510, "kind": "truncate", "broker": 1, "partition": "orders-0", "offset": 1},
        {
            "time_ms": 1530,
            "kind": "leader",
            "partition": "orders-0",
            "leader": 3,
            "leader_epoch": 1,
            "isr": [1, 2, 3],
        },
    ]
    steps = [
        FakeStep("send", {"process": 0, "partition": 0, "message": m0}),
        FakeStep("partition", {"groups": [["b3"], ["b1", "b2", "c0", "c1"]]}),
        FakeStep("send", {"process": 1, "partition": 0, "message": m1}),
        FakeStep("power-loss", {"broker": 1}),
        FakeStep("power-loss", {"broker": 2}),
        FakeStep("tick", {"ms": 300}),
        FakeStep("send", {"process": 2, "partition": 0, "message": m2}),
    ]
    outcomes = [
        "→ ok at offset 0",
        "→ ok",
        "→ ok at offset 1",
        "→ ok",
        "→ ok",
        "→ ok; orders-0: leader 3 (epoch 1, ISR 3)",
        "→ ok at offset 1",
    ]
    describe = [
        (0, ["Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3"]),
        (5, ["Topic: orders Partition: 0 Leader: none Replicas: 1,2,3 Isr: 3"]),
        (8, ["Topic: orders Partition: 0 Leader: 3 Replicas: 1,2,3 Isr: 1,2,3"]),
    ]
    verdict = check_log(history)  # the real log checker: lost-write, inconsistent-offsets
    logs = {
        "orders-0": {
            1: [(0, m0), (1, m2)],
            2: [(0, m0), (1, m2)],
            3: [(0, m0), (1, m2)],
        }
    }
    return FakeResult(
        config=FakeConfig(flaws=flaws),
        seed=7,
        steps=steps,
        history=history,
        events=events,
        describe_snapshots=describe,
        step_outcomes=outcomes,
        invariant_violations=[],
        log_verdict=verdict,
        replica_logs=logs,
    )


@pytest.fixture
def demo_flaw(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in for the zoo while impl/ is being built: one flaw called `demo`."""
    from replicheck.report import summary

    def lookup(name: str) -> summary.FlawFacts:
        assert name == "demo"
        return summary.FlawFacts(
            "demo", "Demo flaw <b>bold</b>", "Loses *acknowledged* writes.", "KIP-101", True
        )

    monkeypatch.setattr(summary, "lookup_flaw", lookup)


@pytest.fixture
def lost_write() -> FakeResult:
    return lost_write_result()


# --------------------------------------------------------------------------------------
# A tiny Chrome DevTools Protocol client over --remote-debugging-pipe (stdlib only): the
# browser reads NUL-terminated JSON messages on fd 3 and writes its own on fd 4.


class Chromium:
    """Open one page in headless chromium; collect console/log/exception events."""

    def __init__(self, executable: str, timeout_s: float = 60.0) -> None:
        self.executable = executable
        self.timeout_s = timeout_s

    def open(self, path: Any, expression: str) -> tuple[Any, list[dict]]:
        """Load `path`, evaluate `expression` (JSON-returning), return (value, problems)."""
        import json
        import os
        import select
        import shutil
        import subprocess
        import tempfile
        import time

        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()

        def wire_fds() -> None:  # runs in the child, before exec
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        profile = tempfile.mkdtemp(prefix="replicheck-chromium-")
        process = subprocess.Popen(
            [
                self.executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            preexec_fn=wire_fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        buffer = b""
        next_id = 0
        events: list[dict] = []

        def send(method: str, params: dict | None = None, session: str | None = None) -> int:
            nonlocal next_id
            next_id += 1
            message: dict[str, Any] = {"id": next_id, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            os.write(to_browser_w, json.dumps(message).encode() + b"\0")
            return next_id

        def receive(deadline: float) -> dict:
            nonlocal buffer
            while b"\0" not in buffer:
                ready, _, _ = select.select(
                    [from_browser_r], [], [], max(0.0, deadline - time.monotonic())
                )
                if not ready:
                    raise TimeoutError("chromium did not answer in time")
                chunk = os.read(from_browser_r, 1 << 16)
                if not chunk:
                    raise EOFError("chromium closed the debugging pipe")
                buffer += chunk
            raw, buffer = buffer.split(b"\0", 1)
            return json.loads(raw)

        def call(method: str, params: dict | None = None, session: str | None = None) -> dict:
            wanted = send(method, params, session)
            deadline = time.monotonic() + self.timeout_s
            while True:
                message = receive(deadline)
                if message.get("id") == wanted:
                    assert "error" not in message, message
                    return message.get("result", {})
                events.append(message)

        try:
            targets = call("Target.getTargets")["targetInfos"]
            page = next(t for t in targets if t["type"] == "page")
            session = call(
                "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
            )["sessionId"]
            for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
                call(domain, session=session)
            url = "file://" + os.path.abspath(path)
            call("Page.navigate", {"url": url}, session=session)
            deadline = time.monotonic() + self.timeout_s
            while not any(e.get("method") == "Page.loadEventFired" for e in events):
                events.append(receive(deadline))
            result = call(
                "Runtime.evaluate",
                {"expression": expression, "returnByValue": True},
                session=session,
            )
            value = json.loads(result["result"]["value"])
        finally:
            with contextlib.suppress(OSError):
                send("Browser.close")
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            os.close(to_browser_w)
            os.close(from_browser_r)
            shutil.rmtree(profile, ignore_errors=True)
        problems = [
            e
            for e in events
            if e.get("method") in ("Runtime.exceptionThrown",)
            or (
                e.get("method") == "Runtime.consoleAPICalled"
                and e["params"].get("type") in ("error", "warning", "assert")
            )
            or (
                e.get("method") == "Log.entryAdded"
                and e["params"]["entry"].get("level") in ("error", "warning")
            )
        ]
        return value, problems


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    import shutil

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return Chromium(executable)


@pytest.fixture
def make_lost_write() -> Any:
    """The lost-write story with chosen messages: `make_lost_write(m1="<script>…")`."""
    return lost_write_result
