"""The Dask engine on a real `distributed.LocalCluster` with two worker processes: it finds
a zoo flaw, cancels the chunks after the finding, and reports the same minimized case as a
local run of the same plan."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from replicheck.scale.campaign import ScaledCampaign, ScaleOptions, run_scaled_campaign
from replicheck.scale.dask_engine import DaskEngineError, connect

distributed = pytest.importorskip("distributed", reason="pip install 'replicheck[dask]'")

# Measured with the dev extra's Hypothesis: with 3 examples per chunk, acks-one's chunks
# for seeds 5 and 6 find nothing and chunk 2 (seed 7) does; 40 chunks leave 37 to cancel.
SEED, BUDGET, CHUNKS, STEPS = 1, 120, 40, 20  # chunks 0 and 1 clean, chunk 2 finds acks-one
WINNER = 2


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield str(cluster.scheduler_address)


def hunt(dask: str | None) -> ScaledCampaign:
    return run_scaled_campaign(
        ScaleOptions(chunks=CHUNKS, dask=dask),
        flaw="acks-one",
        seed=SEED,
        max_examples=BUDGET,
        steps=STEPS,
    )


@pytest.mark.slow
def test_dask_finds_cancels_and_minimizes_like_a_local_run(scheduler: str) -> None:
    local = hunt(None)
    assert local.winner is not None and local.winner.spec.index == WINNER
    remote = hunt(scheduler)
    assert remote.found and remote.winner is not None
    assert remote.winner.spec == local.winner.spec
    assert remote.winner.where.startswith("tcp://"), "the finding came from a worker"
    assert remote.result is not None and local.result is not None
    assert remote.result.steps == local.result.steps
    assert remote.result.history == local.result.history
    assert remote.reproduce_command() == local.reproduce_command()
    before = [o.status for o in remote.outcomes[:WINNER]]
    assert before == ["clean"] * WINNER, "chunks before the finding all ran to the end"
    after = [o.status for o in remote.outcomes[WINNER + 1 :]]
    assert "cancelled" in after and remote.examples < BUDGET
    assert set(after) <= {"cancelled", "stopped", "clean", "found"}


@pytest.mark.slow
def test_dask_on_the_correct_configuration_runs_the_whole_plan(scheduler: str) -> None:
    campaign = run_scaled_campaign(
        ScaleOptions(chunks=4, dask=scheduler), seed=1, max_examples=8, steps=STEPS
    )
    assert not campaign.found and campaign.examples == 8
    workers = {o.where for o in campaign.outcomes}
    assert all(w.startswith("tcp://") for w in workers)


def test_unreachable_scheduler_is_refused() -> None:
    with pytest.raises(DaskEngineError, match="cannot reach the Dask scheduler at tcp://127"):
        connect("tcp://127.0.0.1:1", timeout_s=1)
