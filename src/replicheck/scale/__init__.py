"""Campaigns beyond one process: chunk plans and shards, shared example databases, Dask.

A campaign is a *plan* of chunks (`plan.py`): chunk i searches with seed `seed + i` and an
equal share of the example budget. Where the chunks run (one process, a CI shard, a Dask
cluster) never changes what each chunk explores; only the example database can (it replays
what earlier runs found first). See docs/scale.md.
"""
