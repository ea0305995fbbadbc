"""No process is ever left behind: after success, a violation, an error, a crash step and
KeyboardInterrupt. The nodes here ignore the end of their stdin (programs/stubborn.py), so
only the harness's own kill can end them -- these tests fail if it forgets one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from replicheck.nodes import NodeStep, NodeTarget

SEND = NodeStep("send", {"client": 0, "node": "n0", "key": "k", "msg": 1})


def _all_reaped(target, pid_alive) -> bool:
    return (
        not target.processes
        and target.reaped
        and all(p.returncode is not None and not pid_alive(p.pid) for p in target.reaped)
    )


def test_reaped_after_success(program, pid_alive, fast):
    target = NodeTarget(program("stubborn"), 2, config=fast)
    run = target.run([SEND, NodeStep("poll", {"client": 1, "node": "n1", "key": "k"})])
    assert len(target.reaped) == 2 and _all_reaped(target, pid_alive)
    assert run.history  # it did run


def test_reaped_after_a_violation(example, pid_alive, fast):
    target = NodeTarget(example("log_uncoordinated"), 2, config=fast)
    run = target.run([SEND, NodeStep("send", {"client": 1, "node": "n1", "key": "k", "msg": 2})])
    assert run.violation and _all_reaped(target, pid_alive)


def test_reaped_after_an_error_mid_run(program, pid_alive, fast):
    target = NodeTarget(program("stubborn"), 2, config=fast)
    with pytest.raises(ValueError, match="no node 'n5'"):
        target.run([SEND, NodeStep("crash", {"node": "n5"})])
    assert _all_reaped(target, pid_alive)


def test_crash_kills_the_old_process_and_starts_a_fresh_one(program, pid_alive, fast):
    with NodeTarget(program("stubborn"), 1, config=fast) as target:
        target.start()
        old = target.processes["n0"]
        outcome = target.step(NodeStep("crash", {"node": "n0"}))
        new = target.processes["n0"]
        assert old.pid != new.pid and not pid_alive(old.pid) and pid_alive(new.pid)
        assert outcome == f"→ restarted (pid {new.pid})"
    assert _all_reaped(target, pid_alive) and len(target.reaped) == 2


def test_reaped_after_a_paused_node(program, pid_alive, fast):
    target = NodeTarget(program("stubborn"), 1, config=fast)
    target.start()
    target.step(NodeStep("pause", {"node": "n0"}))
    target.close()
    assert _all_reaped(target, pid_alive)


def test_reaped_on_keyboard_interrupt(program, pid_alive, tmp_path):
    """Ctrl-C from outside (as a terminal sends it) in the middle of a run's wait step."""
    pids = tmp_path / "pids.json"
    script = textwrap.dedent(f"""
        import json, os, signal
        from replicheck.nodes import NodeStep, NodeTarget
        # a child inherits an ignored SIGINT -- pytest started as a background job of a
        # shell without job control (`cmd &` in a script) has SIGINT ignored, as bash does
        # for every such job -- and Python then installs no handler: start as an
        # interactive program does
        signal.signal(signal.SIGINT, signal.default_int_handler)
        target = NodeTarget({program("stubborn")!r}, 3)
        target.start()
        with open({str(pids)!r} + ".tmp", "w") as out:
            json.dump([p.pid for p in target.processes.values()], out)
        os.replace({str(pids)!r} + ".tmp", {str(pids)!r})
        target.run([NodeStep("wait", {{"ms": 4000}})])
        print("not interrupted")
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # the nodes are up once the file exists (bounded: 60 s)
            if pids.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # into the 4 s wait step
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
        child.wait()
    assert "KeyboardInterrupt" in stderr and "not interrupted" not in stdout, (stdout, stderr)
    started = json.loads(pids.read_text())
    assert len(started) == 3
    assert [pid for pid in started if pid_alive(pid)] == []


def _our_children(marker: str) -> list[int]:
    """Live child processes of this process whose command line contains `marker`."""
    import os
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and marker in cmdline:
            found.append(int(entry.name))
    return found


def test_the_search_reaps_its_spare_nodes(program):
    from replicheck.nodes.search import hunt

    hunt(program("stubborn"), 2, faults=(), max_examples=3, max_steps=4, seed=0)
    assert _our_children("stubborn.py") == []

    def interrupt(run):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        hunt(
            program("stubborn"),
            2,
            faults=(),
            max_examples=3,
            max_steps=4,
            seed=0,
            on_example=interrupt,
        )
    assert _our_children("stubborn.py") == []
