"""`--workers N` with a chunk plan: chunks in spawned local processes, the same answer as
running them one after another."""

from __future__ import annotations

import pytest

from replicheck.scale.campaign import ScaledCampaign, ScaleOptions, run_scaled_campaign

# The plan of tests/scale/test_dask.py: chunk 2 (seed 7) decides.
SEED, BUDGET, CHUNKS, STEPS, WINNER = 1, 120, 40, 20, 2  # chunk 2 is the first to find acks-one


@pytest.mark.slow
def test_two_processes_report_the_sequential_answer() -> None:
    def hunt(workers: int) -> ScaledCampaign:
        return run_scaled_campaign(
            ScaleOptions(chunks=CHUNKS),
            flaw="acks-one",
            seed=SEED,
            max_examples=BUDGET,
            steps=STEPS,
            workers=workers,
        )

    alone, pooled = hunt(1), hunt(2)
    assert pooled.engine == "2 local processes"
    assert alone.winner is not None and pooled.winner is not None
    assert pooled.winner.spec == alone.winner.spec and alone.winner.spec.index == WINNER
    assert pooled.result is not None and alone.result is not None
    assert pooled.result.steps == alone.result.steps
    assert pooled.winner.where.startswith("process ")
    assert "cancelled" in [o.status for o in pooled.outcomes[WINNER + 1 :]]
    assert pooled.examples < BUDGET
