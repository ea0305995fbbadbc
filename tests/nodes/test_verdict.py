"""The committed-offsets verdict: per key a register of commits and listings, judged by the
linearizability checker; `stale_listings` finds the direct witnesses."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from replicheck.nodes.verdict import (
    COMMITTED_ANOMALY,
    check_run,
    register_histories,
    stale_listings,
)


class H:
    """A tiny history builder: ops appended in real-time order."""

    def __init__(self) -> None:
        self.ops: list[dict] = []

    def op(self, process, kind, f, value, **extra):
        self.ops.append(
            {
                "index": len(self.ops),
                "process": process,
                "type": kind,
                "f": f,
                "value": value,
                **extra,
            }
        )
        return self

    def commit(self, process, key, offset, outcome="ok"):
        self.op(process, "invoke", "commit_offsets", {key: offset})
        return self.op(process, outcome, "commit_offsets", {key: offset})

    def listing(self, process, keys, result, outcome="ok"):
        self.op(process, "invoke", "list_committed_offsets", list(keys))
        return self.op(
            process, outcome, "list_committed_offsets", result if outcome == "ok" else list(keys)
        )


def test_listing_older_than_an_acknowledged_commit_is_flagged():
    h = H().commit(0, "a", 3).commit(0, "a", 5).listing(1, ["a"], {"a": 3})
    verdict = check_run(h.ops)
    assert not verdict.valid and verdict.anomaly_names == [COMMITTED_ANOMALY]
    assert stale_listings(h.ops) == [
        {"key": "a", "listing": 5, "listed": 3, "committed": 5, "commit": 3}
    ]


def test_missing_key_after_an_acknowledged_commit_is_flagged():
    h = H().commit(0, "a", 1).listing(1, ["a", "b"], {})
    assert not check_run(h.ops).valid
    assert [w["key"] for w in stale_listings(h.ops)] == ["a"]  # b was never committed


def test_correct_listings_pass():
    h = (
        H()
        .listing(1, ["a"], {})
        .commit(0, "a", 1)
        .listing(1, ["a"], {"a": 1})
        .commit(0, "a", 4)
        .listing(2, ["a"], {"a": 4})
    )
    verdict = check_run(h.ops)
    assert verdict.valid and verdict.committed_valid is True and not stale_listings(h.ops)


def test_a_concurrent_or_unknown_commit_may_or_may_not_be_seen():
    h = H().commit(0, "a", 1)
    h.op(0, "invoke", "commit_offsets", {"a": 2})  # concurrent with the listing
    h.listing(1, ["a"], {"a": 1})
    h.op(0, "info", "commit_offsets", {"a": 2})  # unknown outcome
    h.listing(1, ["a"], {"a": 2})  # it did take effect, later
    h.listing(2, ["a"], {"a": 2})
    assert check_run(h.ops).valid


def test_failed_commit_is_not_required_but_a_listing_must_not_invent():
    h = H().commit(0, "a", 1).commit(0, "a", 2, outcome="fail").listing(1, ["a"], {"a": 1})
    assert check_run(h.ops).valid
    assert not check_run(H().commit(0, "a", 1).listing(1, ["a"], {"a": 7}).ops).valid


def test_register_histories_split_multi_key_operations():
    h = H().commit(0, "a", 1).listing(1, ["a", "b"], {"a": 1})
    per_key = register_histories(h.ops)
    assert [op["f"] for op in per_key["a"]] == ["write", "write", "read", "read"]
    assert [op["value"] for op in per_key["b"]] == [None, None]


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4)), max_size=12))
def test_sequential_histories_against_the_obvious_oracle(plan):
    """Non-overlapping ops, commits increasing: a listing is right iff it shows the last commit."""
    h, last, expected_valid, offset = H(), None, True, 0
    for is_commit, choice in plan:
        if is_commit:
            offset += 1 + choice
            h.commit(0, "a", offset)
            last = offset
        else:
            shown = [None, last, offset + 1, max(0, (last or 0) - 1), last][choice]
            h.listing(1, ["a"], {} if shown is None else {"a": shown})
            expected_valid &= shown == last
    verdict = check_run(h.ops)
    assert verdict.valid == expected_valid
    if stale_listings(h.ops):  # a witness is always a real violation
        assert not verdict.valid
