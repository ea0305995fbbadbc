"""The Dask engine on a real `distributed.LocalCluster` with two worker processes: it finds
a zoo flaw, cancels the chunks after the finding, and reports the same minimized case as a
local run of the same plan."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from replicheck.scale.campaign import ScaledCampaign, ScaleOptions, run_scaled_campaign
from replicheck.scale.dask_engine import DaskEngineError, connect
from seed_search import plan_won_by

distributed = pytest.importorskip("distributed", reason="pip install 'replicheck[dask]'")

# 40 chunks of 3 examples of up to 20 steps. Which seed makes which chunk the first to find
# acks-one is a property of the engine: searched for (tests/seed_search.py), not pinned.
BUDGET, CHUNKS, STEPS = 120, 40, 20


def won_plan() -> tuple[int, int]:
    """(seed, winner): a plan whose first chunk to find acks-one is one of chunks 2..20, so
    clean chunks run to their end before it and many after it are there to be cancelled."""
    return plan_won_by("acks-one", chunks=CHUNKS, share=BUDGET // CHUNKS, steps=STEPS,
                       lowest=2, highest=CHUNKS // 2)  # fmt: skip


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield str(cluster.scheduler_address)


def hunt(dask: str | None, seed: int) -> ScaledCampaign:
    return run_scaled_campaign(
        ScaleOptions(chunks=CHUNKS, dask=dask),
        flaw="acks-one",
        seed=seed,
        max_examples=BUDGET,
        steps=STEPS,
    )


@pytest.mark.slow
def test_dask_finds_cancels_and_minimizes_like_a_local_run(scheduler: str) -> None:
    seed, winner = won_plan()
    local = hunt(None, seed)
    assert local.winner is not None and local.winner.spec.index == winner, "the first finder"
    remote = hunt(scheduler, seed)
    assert remote.found and remote.winner is not None
    assert remote.winner.spec == local.winner.spec
    assert remote.winner.where.startswith("tcp://"), "the finding came from a worker"
    assert remote.result is not None and local.result is not None
    assert remote.result.steps == local.result.steps
    assert remote.result.history == local.result.history
    assert remote.reproduce_command() == local.reproduce_command()
    before = [o.status for o in remote.outcomes[:winner]]
    assert before == ["clean"] * winner, "chunks before the finding all ran to the end"
    after = [o.status for o in remote.outcomes[winner + 1 :]]
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
