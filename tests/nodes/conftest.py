"""Shared bits of the node-harness tests: commands for the example nodes and test programs.

Node processes are real and not deterministic, so these tests assert only what must hold
on every run (a correct node is clean; a wrong one is flagged by a step list that forces
its flaw), and every wait in the harness is bounded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from replicheck.nodes import NodeConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "nodes"
PROGRAMS = Path(__file__).resolve().parent / "programs"

#: short bounds: the example nodes answer in milliseconds; a test that needs a timeout
#: should not wait a second for it
FAST = NodeConfig(
    init_timeout_ms=5000, request_timeout_ms=1000, quiet_window_ms=20, quiesce_max_ms=1000
)


def _example(name: str) -> list[str]:
    return [sys.executable, str(EXAMPLES / f"{name}.py")]


def _program(name: str, *args: str) -> list[str]:
    return [sys.executable, str(PROGRAMS / f"{name}.py"), *args]


def _pid_alive(pid: int) -> bool:
    """True if a process with this pid exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def fast() -> NodeConfig:
    return FAST


@pytest.fixture
def example():
    """`example("log_linkv")` -> the command that runs that example node."""
    return _example


@pytest.fixture
def program():
    """`program("bad", "garbage")` -> the command of a test program under programs/."""
    return _program


@pytest.fixture
def pid_alive():
    return _pid_alive
