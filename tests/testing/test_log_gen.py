"""The history generator: deterministic, well-formed (per the history validator), and its
injectors leave the history well-formed and the original untouched."""

from __future__ import annotations

import itertools
import random

import orjson
import pytest

from replicheck.checker.history import read_history, validate_ops
from replicheck.testing.log_gen import INJECTORS, GenConfig, generate_history

CONFIG = GenConfig(ops=300, processes=4, partitions=2, info_ratio=0.2, final_chunk_records=5)


def test_same_seed_same_history_different_seed_different():
    first = orjson.dumps(generate_history(CONFIG, 11))
    assert first == orjson.dumps(generate_history(CONFIG, 11))
    assert first != orjson.dumps(generate_history(CONFIG, 12))


def test_generated_history_is_well_formed():
    history = generate_history(CONFIG, 3)
    assert validate_ops(history) == history
    assert [op["index"] for op in history] == list(range(len(history)))
    kinds = {(op["f"], op["type"]) for op in history}
    assert kinds >= {("send", "ok"), ("send", "fail"), ("send", "info"), ("poll", "ok")}
    final = [op for op in history if op.get("final")]
    assert final and all(op["process"] == CONFIG.processes for op in final)
    # a chunked final read: every chunk but the last is full, and they continue each other
    chunks = [op for op in final if op["type"] == "ok" and op["key"] == "orders-0"]
    assert all(len(op["value"]) == 5 for op in chunks[:-1])
    for previous, op in itertools.pairwise(chunks):
        assert op["offset"] == previous["value"][-1][0] + 1


@pytest.mark.parametrize("fault", sorted(INJECTORS))
def test_injectors_keep_histories_well_formed_and_copy(fault):
    history = generate_history(CONFIG, 3)
    before = orjson.dumps(history)
    inject, _ = INJECTORS[fault]
    faulty = inject(history, random.Random(1))
    assert faulty is not None
    assert orjson.dumps(history) == before
    assert faulty != history
    assert validate_ops(faulty) == faulty


def test_benchmark_generator_writes_readable_jsonl(tmp_path):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "gen_log_history.py"
    spec = importlib.util.spec_from_file_location("gen_log_history", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "h.jsonl"
    written = module.write_history(path, 2000, seed=4, fault="drop")
    ops = read_history(path)
    assert len(ops) == written
    assert 1900 <= written <= 2100
