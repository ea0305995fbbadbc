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
from replicheck.scale.campaign import TARGET, ScaleOptions, engine_label, run_scaled_campaign
from replicheck.scale.database import DatabaseError, check_reachable, parse_database
from replicheck.stateful.runner import config_hash, resolve_config
from seed_search import SEARCH_SEEDS, first_seed

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


def alone(flaw: str, seed: int) -> dict[str, object]:
    """A campaign from an empty database, in this process (it explores as a fresh one does:
    stateful/local_constants.py), remembered: the seed searches below ask for it often."""
    key = (flaw, seed)
    if key not in _ALONE:
        c = run_scaled_campaign(
            ScaleOptions(), flaw=flaw, seed=seed, max_examples=BUDGET, steps=STEPS
        )
        steps = [s.to_dict() for s in c.result.steps] if c.result else None
        # through JSON, as `campaign` reports it from its process
        _ALONE[key] = json.loads(json.dumps({"first": c.first_failure_example, "steps": steps}))
    return _ALONE[key]


_ALONE: dict[tuple[str, int], dict[str, object]] = {}


def found_late(flaw: str, seed: int) -> bool:
    """The seed finds the flaw on its own within the budget, but not in its first example."""
    first = alone(flaw, seed)["first"]
    return isinstance(first, int) and first > 1


def two_seeds() -> tuple[int, int]:
    """Two seeds that find acks-one late on their own and minimize to different steps (so a
    replayed failure is told apart from one found again), the second one not finding
    no-fsync in its first example either (under the installed Hypothesis)."""
    seeds = range(1, SEARCH_SEEDS + 1)
    what = "finds acks-one after its first example"
    first = first_seed(what, lambda seed: found_late("acks-one", seed), seeds)

    def differs(seed: int) -> bool:
        other = alone("acks-one", seed)
        return (
            seed != first
            and found_late("acks-one", seed)
            and other["steps"] != alone("acks-one", first)["steps"]
            and alone("no-fsync", seed)["first"] != 1
        )

    what = f"finds acks-one late, in other steps than seed {first}, and no-fsync not at once"
    return first, first_seed(what, differs, seeds)


def test_second_campaign_replays_the_first_failure_first(redis_url: str) -> None:
    earlier, later = two_seeds()
    first = campaign("acks-one", earlier, redis_url)
    assert first["first"] != 1 and first["steps"] != alone("acks-one", later)["steps"]
    second = campaign("acks-one", later, redis_url)
    assert second["first"] == 1, "the shared database's failure is replayed first"
    assert second["steps"] == first["steps"]


def test_keys_are_namespaced_by_configuration_and_engine(redis_url: str) -> None:
    import redis

    earlier, later = two_seeds()
    campaign("acks-one", earlier, redis_url)
    other = campaign("no-fsync", later, redis_url)
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
