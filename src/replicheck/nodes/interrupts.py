"""Ctrl-C that cannot be swallowed: a SIGINT handler that remembers the interrupt.

Python raises KeyboardInterrupt wherever the main thread happens to be; when that is
inside a callback whose exceptions the interpreter ignores (a gc callback, a `__del__`),
it is printed as "Exception ignored" and lost, and a long node hunt would go on. The
handler here raises KeyboardInterrupt as usual *and* sets a flag that the search checks
before each run, so the next run raises it again. Either way every node is reaped (the
runner's `finally`), and cli.py turns the interrupt into exit code 130.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def remembered_interrupts() -> Iterator[Callable[[], bool]]:
    """Yield `interrupted()`; outside the main thread signals cannot be caught: never."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    seen = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        seen.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield seen.is_set
    finally:
        signal.signal(signal.SIGINT, previous)
