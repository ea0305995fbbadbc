"""replicheck: a property-based correctness checker for Kafka-style replicated logs."""

__version__ = "0.1.0"
