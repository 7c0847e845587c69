"""Evaluation: benchmark problem sets, per-problem scores, metrics with intervals, comparisons.

Library code only: it knows nothing of the store, the runner or the CLI (the `metrics` stage
and `mathpref eval` wrap it).
"""
