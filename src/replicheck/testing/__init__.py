"""History generators and builders for tests and benchmarks, not for checking.

They live outside ``checker/`` so the checker package holds only what judges a history: these
modules make histories (correct ones, and ones with a known injected anomaly) to feed it.
"""
