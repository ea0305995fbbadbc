"""Ctrl-C at safe points only: a SIGINT handler that remembers the interrupt.

Python raises KeyboardInterrupt wherever the main thread happens to be. Two places make
that dangerous for a harness of real processes: inside a callback whose exceptions the
interpreter ignores (a gc callback, a `__del__`) it is printed as "Exception ignored" and
lost, so a long hunt goes on; and between starting a process and recording it (inside
`Popen`, or before the new process is in the runtime's table) nobody knows the process
any more, and it is never reaped. So while a command runs node processes, SIGINT only
sets a flag; the runner checks it before each run and the network loop every
`WAKE_MAX_S` (50 ms) -- points where every process is recorded -- and raises
KeyboardInterrupt there. Every node is then reaped by the usual `finally`, and cli.py
turns the interrupt into exit code 130. An interrupt that arrives after the last check is
raised when the block ends.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def remembered_interrupts() -> Iterator[Callable[[], bool]]:
    """Yield `interrupted()`. Outside the main thread signals cannot be caught: never."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    seen = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        seen.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield seen.is_set
    finally:
        signal.signal(signal.SIGINT, previous)
        if seen.is_set() and sys.exc_info()[0] is None:
            raise KeyboardInterrupt
