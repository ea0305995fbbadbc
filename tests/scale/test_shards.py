"""`--shard K/N`: the shards of a seeded campaign run exactly the unsharded campaign's
examples between them, each once (per seed, without an example database)."""

from __future__ import annotations

from collections import Counter

import pytest

from replicheck.scale.campaign import ScaledCampaign, ScaleOptions, run_scaled_campaign
from replicheck.scale.plan import Shard

BUDGET, STEPS, CHUNKS = 12, 8, 6


def run(seed: int, shard: Shard | None, flaw: str | None = None) -> ScaledCampaign:
    options = ScaleOptions(chunks=CHUNKS, shard=shard)
    return run_scaled_campaign(
        options, flaw=flaw, seed=seed, max_examples=BUDGET, steps=STEPS, fingerprints=True
    )


def by_chunk(campaign: ScaledCampaign) -> dict[int, list[str]]:
    return {o.spec.index: o.fingerprints for o in campaign.outcomes}


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("count", [2, 3])
def test_union_of_shards_is_the_unsharded_campaign(seed: int, count: int) -> None:
    whole = run(seed, None)
    assert not whole.found and whole.examples == BUDGET
    parts = [run(seed, Shard(k, count)) for k in range(1, count + 1)]
    chunks: dict[int, list[str]] = {}
    for part in parts:
        assert not chunks.keys() & by_chunk(part).keys(), "shards share a chunk"
        chunks.update(by_chunk(part))
    assert chunks == by_chunk(whole)
    union = Counter(f for part in parts for o in part.outcomes for f in o.fingerprints)
    assert union == Counter(f for o in whole.outcomes for f in o.fingerprints)
    assert sum(part.examples for part in parts) == whole.examples


def test_another_seed_gives_other_examples() -> None:
    """The comparison above can fail: fingerprints tell different campaigns apart."""
    assert by_chunk(run(3, Shard(1, 2))) != by_chunk(run(4, Shard(1, 2)))
