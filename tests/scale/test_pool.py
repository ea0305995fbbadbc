"""`--workers N` with a chunk plan: chunks in spawned local processes, the same answer as
running them one after another."""

from __future__ import annotations

import pytest

from replicheck.scale.campaign import ScaledCampaign, ScaleOptions, run_scaled_campaign
from seed_search import plan_won_by

# The plan shape of tests/scale/test_dask.py; its seed is searched for under the installed
# Hypothesis (tests/seed_search.py): one whose chunk 2..20 is the first to find acks-one.
BUDGET, CHUNKS, STEPS = 120, 40, 20


@pytest.mark.slow
def test_two_processes_report_the_sequential_answer() -> None:
    seed, winner = plan_won_by("acks-one", chunks=CHUNKS, share=BUDGET // CHUNKS, steps=STEPS,
                               lowest=2, highest=CHUNKS // 2)  # fmt: skip

    def hunt(workers: int) -> ScaledCampaign:
        return run_scaled_campaign(
            ScaleOptions(chunks=CHUNKS),
            flaw="acks-one",
            seed=seed,
            max_examples=BUDGET,
            steps=STEPS,
            workers=workers,
        )

    alone, pooled = hunt(1), hunt(2)
    assert pooled.engine == "2 local processes"
    assert alone.winner is not None and pooled.winner is not None
    assert alone.winner.spec.index == winner, "the first chunk to find it on its own wins"
    assert pooled.winner.spec == alone.winner.spec
    assert pooled.result is not None and alone.result is not None
    assert pooled.result.steps == alone.result.steps
    assert pooled.winner.where.startswith("process ")
    assert "cancelled" in [o.status for o in pooled.outcomes[winner + 1 :]]
    assert pooled.examples < BUDGET
