"""Evaluation: benchmark problem sets, per-problem scores, metrics with intervals, comparisons.

Library code: it knows nothing of the runner or the CLI (the `metrics` stage and `mathpref eval`
wrap it); `runs` reads a build's evaluation datasets from a store.
"""
