"""Training from releases with TRL (SFT, DPO, KTO, Step-DPO), LoRA through peft.

A thin layer: recipes (`recipes`), release loading and SFT data from gold solutions (`data`),
the run itself (`run`), the model card (`card`) and preference metrics (`metrics`). TRL does the
training. See docs/decisions/0006-training-layout.md.
"""
