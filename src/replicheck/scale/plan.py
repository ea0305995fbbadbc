"""A campaign as a deterministic list of chunks, and the shards of that list.

Why chunks: one seeded Hypothesis run is sequential (each example depends on what the
engine learnt from the previous ones), so it cannot be split. A campaign of C chunks, chunk
i searching with seed `seed + i` and a budget share, can: each chunk is a pure function of
(configuration, its seed, its budget, the example database), so any machine may run it.
`--workers W` has always been the plan with W chunks; `--chunks C` names the plan on its
own, and `--shard K/N` runs every N-th chunk of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the largest plan a campaign may have (a chunk per example is the finest split anyway)
MAX_CHUNKS = 100_000

_SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, order=True)
class ChunkSpec:
    """One chunk of a campaign plan: a seeded search with its own example budget."""

    index: int
    seed: int
    max_examples: int

    def __post_init__(self) -> None:
        assert self.index >= 0 and self.seed >= 0 and self.max_examples >= 1


def chunk_share(max_examples: int, chunks: int) -> int:
    """Examples per chunk: the budget divided up, rounded up (as `--workers` always did)."""
    assert max_examples >= 1 and chunks >= 1
    return max(1, -(-max_examples // chunks))


def plan_chunks(seed: int, max_examples: int, chunks: int) -> tuple[ChunkSpec, ...]:
    """The plan of a campaign: chunk i has seed `seed + i` and an equal budget share.

    A pure function of its arguments: the same seed always gives the same plan, on every
    machine, so shards and Dask workers agree on it without talking to each other.
    """
    if not 1 <= chunks <= min(max_examples, MAX_CHUNKS):
        raise ValueError(
            f"a campaign of {max_examples} example(s) has 1 to {min(max_examples, MAX_CHUNKS)}"
            f" chunk(s), not {chunks}"
        )
    share = chunk_share(max_examples, chunks)
    return tuple(ChunkSpec(index=i, seed=seed + i, max_examples=share) for i in range(chunks))


@dataclass(frozen=True)
class Shard:
    """`--shard K/N`: the K-th of N disjoint parts of a plan (K counts from 1)."""

    number: int
    count: int

    def __post_init__(self) -> None:
        assert 1 <= self.number <= self.count

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"

    def select(self, plan: tuple[ChunkSpec, ...]) -> tuple[ChunkSpec, ...]:
        """This shard's chunks: every N-th one, starting at chunk K-1.

        Round robin rather than contiguous blocks, so the shards' budgets differ by at most
        one chunk and the early chunks (which replay the database first) are spread out.
        """
        if len(plan) < self.count:
            raise ValueError(
                f"--shard {self} needs a plan of at least {self.count} chunks, "
                f"this one has {len(plan)} (use --chunks)"
            )
        return tuple(spec for spec in plan if spec.index % self.count == self.number - 1)


def parse_shard(text: str) -> Shard:
    """`"K/N"` with 1 <= K <= N, or ValueError saying what was expected."""
    match = _SHARD_RE.match(text)
    if match is None:
        raise ValueError(f"expected K/N (for example 2/8), got {text!r}")
    number, count = int(match.group(1)), int(match.group(2))
    if count < 1 or count > MAX_CHUNKS or not 1 <= number <= count:
        raise ValueError(f"expected K/N with 1 <= K <= N <= {MAX_CHUNKS}, got {text!r}")
    return Shard(number, count)
