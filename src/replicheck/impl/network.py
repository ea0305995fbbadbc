"""The simulated network: partitions, loss and delay, all decided by one seeded RNG.

A partition is a list of node groups; nodes in different groups cannot exchange messages,
nodes in no group reach everyone. Delay is `network_delay_ms` unless the driver set a range,
in which case each message draws its own delay (so messages can be reordered — the
protocol copes through epochs and correlation ids, as Kafka's does). A slow link adds a
fixed delay to every message sent one way between two nodes while it lasts (a congested
or stalled path): messages sent before it clears arrive after ones sent since.
"""

from __future__ import annotations

import random
from collections.abc import Iterable


class Network:
    __slots__ = ("delay_hi_ms", "delay_lo_ms", "group_of", "loss", "rng", "slow_ms")

    def __init__(self, rng: random.Random, delay_ms: int) -> None:
        self.rng = rng
        self.group_of: dict[str, int] = {}
        self.loss = 0.0
        self.delay_lo_ms = delay_ms
        self.delay_hi_ms = delay_ms
        self.slow_ms: dict[tuple[str, str], int] = {}  # (src, dst) -> extra delay

    def set_partition(self, groups: Iterable[Iterable[str]]) -> list[list[str]]:
        """Install a partition; returns the normalised groups (sorted, deduplicated)."""
        group_of: dict[str, int] = {}
        normalised: list[list[str]] = []
        for i, group in enumerate(groups):
            names = sorted(set(group))
            for name in names:
                if name in group_of:
                    raise ValueError(f"node {name!r} is in more than one partition group")
                group_of[name] = i
            normalised.append(names)
        self.group_of = group_of
        return normalised

    def heal(self) -> None:
        self.group_of = {}

    def connected(self, a: str, b: str) -> bool:
        group_of = self.group_of
        if not group_of:
            return True
        ga = group_of.get(a)
        if ga is None:
            return True
        gb = group_of.get(b)
        return gb is None or ga == gb

    def delay_or_drop(self) -> int:
        """Delay in ms for the next message, or -1 to drop it."""
        if self.loss > 0.0 and self.rng.random() < self.loss:
            return -1
        lo = self.delay_lo_ms
        if lo == self.delay_hi_ms:
            return lo
        return self.rng.randint(lo, self.delay_hi_ms)
