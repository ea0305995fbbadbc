"""Chunk plans and shards: deterministic, disjoint, covering; the winner rule of every
engine equals running the chunks one after another."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replicheck.scale.chunk import ChunkOutcome, Status
from replicheck.scale.engine import ChunkBook, run_sequential
from replicheck.scale.plan import ChunkSpec, Shard, parse_shard, plan_chunks
from replicheck.stateful.runner import _share


@given(st.integers(0, 2**32), st.integers(1, 5000), st.data())
def test_plan_is_a_function_of_seed_and_budget(seed: int, budget: int, data: st.DataObject) -> None:
    chunks = data.draw(st.integers(1, min(budget, 64)))
    plan = plan_chunks(seed, budget, chunks)
    assert plan == plan_chunks(seed, budget, chunks)
    assert [s.index for s in plan] == list(range(chunks))
    assert [s.seed for s in plan] == [seed + i for i in range(chunks)]
    # the plan `--workers N` has always run: seeds seed, seed+1, ..., the budget split up
    assert {s.max_examples for s in plan} == {_share(budget, chunks)}
    assert sum(s.max_examples for s in plan) >= budget


@given(st.integers(1, 300), st.data())
def test_shards_partition_the_plan(chunks: int, data: st.DataObject) -> None:
    count = data.draw(st.integers(1, chunks))
    plan = plan_chunks(7, 10_000, chunks)
    parts = [Shard(k, count).select(plan) for k in range(1, count + 1)]
    assert sorted(spec for part in parts for spec in part) == list(plan)  # disjoint, covering
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1
    assert parts == [Shard(k, count).select(plan) for k in range(1, count + 1)]


def test_more_shards_than_chunks_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a plan of at least 4 chunks"):
        Shard(1, 4).select(plan_chunks(1, 100, 3))


@pytest.mark.parametrize(
    ("text", "expected"), [("1/1", Shard(1, 1)), ("3/8", Shard(3, 8)), (" 2 / 2 ", Shard(2, 2))]
)
def test_parse_shard(text: str, expected: Shard) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "4", "1/0", "a/b", "-1/2", "1/2/3", ""])
def test_parse_shard_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected K/N"):
        parse_shard(text)


def test_plan_rejects_more_chunks_than_examples() -> None:
    with pytest.raises(ValueError, match="1 to 5 chunk"):
        plan_chunks(1, 5, 6)


STATUSES: st.SearchStrategy[Status] = st.sampled_from(["clean", "found", "error"])


@given(st.lists(STATUSES, min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_any_completion_order_reports_what_a_sequential_run_reports(
    statuses: list[Status], rnd: random.Random
) -> None:
    """Chunks finish in any order (a cluster); the reported chunk is the sequential one's."""
    plan = plan_chunks(0, 1000, len(statuses))

    def outcome(spec: ChunkSpec) -> ChunkOutcome:
        return ChunkOutcome(spec, statuses[spec.index])

    sequential = run_sequential(plan, outcome)
    book = ChunkBook(plan)
    order = list(plan)
    rnd.shuffle(order)
    for spec in order:
        if book.complete():
            break
        if book.needed(spec.index):
            book.record(outcome(spec))
        else:  # a chunk after the decisive one: stopped while running
            book.record(ChunkOutcome(spec, "stopped"))
    decisive = [o for o in sequential if o.decisive]
    expected = decisive[0].spec if decisive else None
    assert (book.winner().spec if book.winner() else None) == expected
    assert [o.status for o in sequential if o.status != "cancelled"][-1:] == (
        [decisive[0].status] if decisive else ["clean"]
    )
