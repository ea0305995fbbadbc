"""The log verdict for any history shape, with Jepsen's rules for which anomalies count.

`check_any_log(ops)` looks at the first send/poll-like operation to tell the two shapes
apart (replicheck's one-record ops, or Jepsen's micro-op vectors, docs/history-format.md),
translates Jepsen's shape (replicheck.checker.jepsen_kafka), runs the one-pass anomaly
checker, and for Jepsen's shape adds what needs whole ops: `precommitted-read` and the
dependency cycles (replicheck.checker.log_cycles).

Which anomalies invalidate a run is Jepsen's choice, made configurable the same way
(`allowed_error_types` in jepsen.tests.kafka); `default_allowed` documents the defaults.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from replicheck.checker.jepsen_kafka import MICRO_OP_FS, JepsenInputError, JepsenKafka, is_jepsen_op
from replicheck.checker.log_anomalies import (
    ANOMALY_KINDS,
    MAX_EVIDENCE,
    LogInputError,
    LogVerdict,
    check_log,
    check_micro_ops,
)
from replicheck.checker.log_cycles import cycles_general, cycles_simple
from replicheck.model.base import Record

PRECOMMITTED_READ = "precommitted-read"
CYCLE_KINDS: tuple[str, ...] = tuple(
    base + suffix for base in ("G0", "G1c") for suffix in ("", "-process", "-realtime")
)
#: every kind `check_any_log` can report, in report order
ALL_KINDS: tuple[str, ...] = (*ANOMALY_KINDS, PRECOMMITTED_READ, *CYCLE_KINDS)

#: allowed whatever the history: Kafka's producers are not isolated from each other, so
#: writes of concurrent transactions interleave (Jepsen: "int-send-skip is normal", "G0 is
#: always allowed, since writes are never isolated")
ALWAYS_ALLOWED = frozenset(("int-send-skip", "G0", "G0-process", "G0-realtime"))
#: allowed when consumers subscribe: a rebalance may move a consumer's position anywhere
SUBSCRIBE_ALLOWED = frozenset(("poll-skip", "nonmonotonic-poll"))
#: allowed in transactional histories, as Jepsen allows them with ww edges (which we always
#: derive): without write isolation t0 <ww t1 <wr t0 is normal
TRANSACTIONAL_ALLOWED = frozenset(("G1c", "G1c-process", "G1c-realtime"))


def default_allowed(verdict: LogVerdict) -> frozenset[str]:
    """Jepsen's default allowed kinds for the history this verdict is about."""
    allowed = set(ALWAYS_ALLOWED)
    if verdict.stats.get("subscribe"):
        allowed |= SUBSCRIBE_ALLOWED
    if verdict.stats.get("transactional"):
        allowed |= TRANSACTIONAL_ALLOWED
    return frozenset(allowed)


def parse_allow(text: str) -> tuple[frozenset[str], bool]:
    """`--allow` as (explicit kinds, whether Jepsen's defaults are included): a comma list
    of kind names; `default` stands for the defaults; the empty string allows nothing."""
    kinds = {part.strip() for part in text.split(",") if part.strip()}
    with_defaults = "default" in kinds
    kinds.discard("default")
    unknown = sorted(kinds - set(ALL_KINDS))
    if unknown:
        raise ValueError(
            f"unknown anomaly kind(s) {', '.join(unknown)}; known: default, {', '.join(ALL_KINDS)}"
        )
    return frozenset(kinds), with_defaults


def peek_shape(ops: Iterable[Record]) -> tuple[bool, Iterator[Record]]:
    """Whether the history has Jepsen's shape, judged by its first send/poll/txn/consumer
    op, and an iterator that still yields every op."""
    iterator = iter(ops)
    seen: list[Record] = []
    for op in iterator:
        seen.append(op)
        shape = shape_of(op)
        if shape is not None:
            return shape, itertools.chain(seen, iterator)
    return False, iter(seen)


def shape_of(op: Record) -> bool | None:
    """Whether a send/poll/txn/consumer op has Jepsen's shape; None for any other op."""
    f = op.get("f") if type(op) is dict else None
    if f in MICRO_OP_FS or f in ("assign", "subscribe", "crash"):
        return is_jepsen_op(op)
    return None


def check_any_log(
    ops: Iterable[Record],
    max_evidence: int = MAX_EVIDENCE,
    allow: frozenset[str] | None = None,
    with_defaults: bool = True,
) -> LogVerdict:
    """The log verdict for a history of either shape, streamed once.

    `allow`: extra kinds that do not invalidate the run (with `with_defaults`, on top of
    `default_allowed`). Raises `LogInputError` with the op's 0-based position.
    """
    jepsen, stream = peek_shape(ops)
    if not jepsen:
        verdict = check_log(stream, max_evidence)
        verdict.stats["shape"] = "replicheck"
    else:
        verdict = check_jepsen_log(stream, max_evidence)
    return with_allowed(verdict, allow, with_defaults)


def with_allowed(
    verdict: LogVerdict, allow: frozenset[str] | None, with_defaults: bool
) -> LogVerdict:
    """`verdict` with its allowed kinds set (see `check_any_log`)."""
    allowed = set(allow or ())
    if with_defaults:
        allowed |= default_allowed(verdict)
    verdict.allowed = frozenset(allowed)
    return verdict


def check_jepsen_log(
    ops: Iterable[Record], max_evidence: int = MAX_EVIDENCE, *, reference: bool = False
) -> LogVerdict:
    """The one-pass checker over Jepsen's shape, plus precommitted reads and dependency
    cycles. The translator feeds the checker micro-op by micro-op; `reference` instead
    runs `check_log` over the dicts `JepsenKafka.translate` yields (slower, the same
    verdict: tests compare the two)."""
    translator = JepsenKafka()
    if reference:
        return jepsen_verdict(
            translator,
            lambda: check_log(
                translator.translate(ops), max_evidence, unseen_polls=True, positioned=True
            ),
            max_evidence,
        )
    return jepsen_verdict(
        translator,
        lambda: check_micro_ops(lambda sink: translator.feed(ops, sink), max_evidence),
        max_evidence,
    )


def jepsen_verdict(
    translator: JepsenKafka, check: Callable[[], LogVerdict], max_evidence: int = MAX_EVIDENCE
) -> LogVerdict:
    """`check()` (the one-pass checker, fed through `translator`), plus precommitted
    reads and dependency cycles from what the translator collected."""
    try:
        verdict = check()
    except JepsenInputError:
        raise
    except LogInputError as exc:
        # the checker numbers translated ops; the user's file numbers Jepsen's ops
        raise LogInputError(translator.position, exc.reason) from None
    stats = verdict.stats
    stats["translated_ops"] = stats["ops"]
    stats["ops"] = translator.ops
    stats["shape"] = "jepsen"
    stats["subscribe"] = translator.subscribed
    stats["transactional"] = translator.transactional
    stats["polls_without_position"] = translator.unknown_positions
    stats["consumer_ops"] = translator.consumer_ops
    for evidence in translator.precommitted:
        _add(verdict, PRECOMMITTED_READ, evidence, max_evidence)
    orders = {key: view.observed for key, view in verdict.partitions.items()}
    if translator.transactional:
        txn_reads = [
            (facts, {key: [r for chunk in chunks for r in chunk] for key, chunks in reads.items()})
            for facts, _, reads in translator.transactional_ops
        ]
        cycles = cycles_general(orders, translator.writers, translator.first_readers, txn_reads)
    else:
        cycles = cycles_simple(orders, translator.writers, translator.first_readers)
    for evidence in sorted(cycles, key=lambda e: CYCLE_KINDS.index(e["kind"])):
        kind = evidence.pop("kind")
        _add(verdict, kind, evidence, max_evidence)
    verdict.anomalies = {k: verdict.anomalies[k] for k in ALL_KINDS if k in verdict.anomalies}
    stats["anomaly_counts"] = {
        k: stats["anomaly_counts"][k] for k in ALL_KINDS if k in stats["anomaly_counts"]
    }
    return verdict


def _add(verdict: LogVerdict, kind: str, evidence: dict[str, Any], max_evidence: int) -> None:
    counts = verdict.stats["anomaly_counts"]
    counts[kind] = counts.get(kind, 0) + 1
    bucket = verdict.anomalies.setdefault(kind, [])
    if len(bucket) < max_evidence:
        bucket.append(evidence)
    else:
        verdict.stats["evidence_truncated"] = True
