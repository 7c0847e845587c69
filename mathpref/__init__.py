"""mathpref: build math preference datasets for DPO-style training."""

__version__ = "0.1.0"
