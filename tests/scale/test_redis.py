"""A shared Redis example database: a failure found by one campaign is replayed first by
the next (in another process), and only by campaigns of the same configuration and engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from replicheck.commands.hunt_reference import REFERENCE_KIND
from replicheck.scale.campaign import TARGET, engine_label
from replicheck.scale.database import DatabaseError, check_reachable, parse_database
from replicheck.stateful.runner import config_hash, resolve_config

# Seeds measured with the dev extra's Hypothesis: from an empty database, acks-one seed 4
# first fails at example 5 and minimizes to 10 steps, seed 6 at example 7 to 3 steps.
FIRST_SEED, SECOND_SEED = 4, 6
BUDGET, STEPS = 60, 20

CAMPAIGN = textwrap.dedent(
    """
    import json, sys
    from replicheck.scale.campaign import ScaleOptions, run_scaled_campaign
    from replicheck.scale.database import parse_database
    flaw, url = sys.argv[1], sys.argv[3]
    seed, budget, steps = int(sys.argv[2]), int(sys.argv[4]), int(sys.argv[5])
    database = parse_database(url) if url != "-" else None
    c = run_scaled_campaign(
        ScaleOptions(database=database), flaw=flaw, seed=seed, max_examples=budget, steps=steps
    )
    steps = [s.to_dict() for s in c.result.steps] if c.result else None
    print(json.dumps({"first": c.first_failure_example, "steps": steps}))
    """
)


def campaign(flaw: str, seed: int, url: str) -> dict[str, object]:
    """One campaign in a fresh Python process (as two CI jobs would run them)."""
    done = subprocess.run(
        [sys.executable, "-c", CAMPAIGN, flaw, str(seed), url, str(BUDGET), str(STEPS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_second_campaign_replays_the_first_failure_first(redis_url: str) -> None:
    alone = campaign("acks-one", SECOND_SEED, "-")
    assert alone["first"] != 1, "the second seed must not find it at once on its own"
    first = campaign("acks-one", FIRST_SEED, redis_url)
    assert first["first"] != 1 and first["steps"] != alone["steps"]
    second = campaign("acks-one", SECOND_SEED, redis_url)
    assert second["first"] == 1, "the shared database's failure is replayed first"
    assert second["steps"] == first["steps"]


def test_keys_are_namespaced_by_configuration_and_engine(redis_url: str) -> None:
    import redis

    campaign("acks-one", FIRST_SEED, redis_url)
    other = campaign("no-fsync", SECOND_SEED, redis_url)
    assert other["first"] != 1, "another configuration never replays acks-one's failure"
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("*")
    client.close()
    expected = [
        f"replicheck:{TARGET}:{config_hash(resolve_config(None, flaw))}:{engine_label()}:".encode()
        for flaw in ("acks-one", "no-fsync")
    ]
    owners = [[p for p in expected if key.startswith(p)] for key in keys]
    assert all(len(owner) == 1 for owner in owners), keys  # every key in exactly one namespace
    assert {owner[0] for owner in owners} == set(expected)


def test_the_namespace_names_the_target_as_hunt_json_does() -> None:
    assert TARGET == REFERENCE_KIND


def test_unreachable_redis_is_a_usage_error_before_the_campaign() -> None:
    pytest.importorskip("redis", reason="the Redis client: pip install 'replicheck[redis]'")
    spec = parse_database("redis://127.0.0.1:1/0").for_campaign("sim", "abc", "e")
    with pytest.raises(DatabaseError, match=r"redis://127.0.0.1:1/0: cannot reach Redis"):
        check_reachable(spec, timeout_s=2)
