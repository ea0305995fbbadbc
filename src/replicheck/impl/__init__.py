"""The reference replication implementation: a deterministic Kafka-style cluster simulation.

`Cluster(config, seed)` is the driver API (docs/internals.md section 2); `ClusterConfig`
holds every knob; `replicheck.impl.zoo` holds the flaw zoo.
"""

from replicheck.impl.cluster import Cluster
from replicheck.impl.config import ClusterConfig

__all__ = ["Cluster", "ClusterConfig"]
