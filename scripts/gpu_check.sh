#!/usr/bin/env bash
# The GPU path, checked on a CUDA machine in under five minutes, with its figures printed.
#
#   scripts/gpu_check.sh                 # uses .venv-gpu, created on first use (needs PyPI)
#   VENV=/path/to/venv scripts/gpu_check.sh
#   GPU_CHECK_MODEL=Qwen/Qwen2.5-Math-1.5B-Instruct scripts/gpu_check.sh   # + a real model
#
# Steps (each under `timeout`; a step that fails prints FAIL and the script exits non-zero):
#   1. the GPU: nvidia-smi name / memory / driver; torch.cuda and the vllm version
#   2. pytest -m gpu: the vLLM backend on the tiny model (seeded requests repeat exactly)
#   3. the pipeline smoke-vllm-cpu on the GPU (same spec, GPU options): rows, seconds,
#      completion tokens/s; a rerun is all cached; the rows of the local and the Ray executor
#      (one GPU actor) have the same fingerprints
#   4. with GPU_CHECK_MODEL: 64 GSM8K-style demo problems x 8 samples with that model:
#      build seconds (load included), requests/s and tokens/s of generation (the latency of
#      each vLLM batch, summed once), share of verified-correct answers
# Written for machines this project's CI does not have: it is syntax-checked (bash -n), not run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-gpu}
PY="$VENV/bin/python"
STORE=${STORE:-$(mktemp -d -t mathpref-gpu-check-XXXXXX)}
T0=$(date +%s)
FAILED=0

step() { echo; echo "== $1 ($(( $(date +%s) - T0 )) s in)"; }
run() {  # run LIMIT_S CMD...: prints FAIL instead of stopping the other checks
  local limit=$1; shift
  if ! timeout "$limit" "$@"; then echo "FAIL: $*"; FAILED=1; return 1; fi
}

step "1. GPU and libraries"
command -v nvidia-smi >/dev/null || { echo "FAIL: no nvidia-smi: not a CUDA machine"; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip
  # vllm brings its own torch/transformers pins: no constraints.txt here (see README).
  "$PY" -m pip install -q -e ".[vllm,dev,ray]"
fi
run 120 "$PY" - <<'EOF'
import torch, vllm
assert torch.cuda.is_available(), "torch sees no CUDA device"
print(f"torch {torch.__version__} CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s): "
      f"{torch.cuda.get_device_name(0)}; vllm {vllm.__version__}")
EOF

step "2. pytest -m gpu"
run 180 "$PY" -m pytest -q -m gpu tests/generation/test_generation_vllm.py -p no:cacheprovider || true

step "3. smoke-vllm-cpu on the GPU, local and Ray executors"
GPU_OPTS='trajectories.backend_options={ dtype = "float16", max_model_len = 512, gpu_memory_utilization = 0.3, batch_size = 64 }'
run 240 "$VENV/bin/mathpref" build smoke-vllm-cpu --store "$STORE/local" --set "$GPU_OPTS" || true
run 60 "$VENV/bin/mathpref" build smoke-vllm-cpu --store "$STORE/local" --set "$GPU_OPTS" \
  | grep -q "0 stage(s) computed" && echo "rerun: all cached" || { echo "FAIL: rerun recomputed"; FAILED=1; }
run 240 "$VENV/bin/mathpref" build smoke-vllm-cpu --store "$STORE/ray" --set "$GPU_OPTS" \
  --executor ray --ray-workers 1 || true
run 60 "$PY" - "$STORE" <<'EOF' || true
import sys
from mathpref.store import Store
root = sys.argv[1]
fps = {}
for name in ("local", "ray"):
    ref = Store(f"{root}/{name}").read_ref("smoke-vllm-cpu")
    fps[name] = {s: {r: o["fingerprint"] for r, o in v["outputs"].items()} for s, v in ref["stages"].items()}
    st = ref["stages"]["trajectories"]
    t = Store(f"{root}/{name}").read(st["outputs"]["trajectories"]["dataset_id"])
    toks = sum(x or 0 for x in t["completion_tokens"].to_pylist())
    print(f"{name}: {t.num_rows} trajectories, {toks} completion tokens")
assert fps["local"] == fps["ray"], f"local and Ray fingerprints differ: {fps}"
print("local and Ray executors: same fingerprints")
EOF

if [ -n "${GPU_CHECK_MODEL:-}" ]; then
  step "4. $GPU_CHECK_MODEL: demo problems x 8 samples"
  SPEC="$STORE/model.toml"
  cat > "$SPEC" <<EOF
[pipeline]
name = "gpu-check-model"
[stages.problems]
kind = "problems"
path = "$(pwd)/pipelines/data/demo-problems.jsonl"
preset = "gsm8k"
[stages.trajectories]
kind = "generate"
inputs = { problems = "problems" }
backend = "vllm"
model = "$GPU_CHECK_MODEL"
preset = "direct-reflective-deliberative"
n = 8
max_new_tokens = 512
backend_options = { gpu_memory_utilization = 0.85, max_model_len = 4096 }
[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
EOF
  S=$(date +%s)
  run 240 "$VENV/bin/mathpref" build "$SPEC" --store "$STORE/model" || true
  echo "build: $(( $(date +%s) - S )) s (model load included)"
  run 60 "$VENV/bin/mathpref" sql --store "$STORE/model" --pipeline gpu-check-model \
    "SELECT count(*) AS requests, sum(t.completion_tokens) AS tokens,
            round(sum(t.completion_tokens) / sum(DISTINCT t.latency_s), 1) AS tokens_per_s,
            round(count(*) / sum(DISTINCT t.latency_s), 2) AS requests_per_s,
            round(avg((r.status = 'correct')::int), 3) AS correct
     FROM trajectories t JOIN rollouts r USING (trajectory_id)" || true
fi

echo
echo "== done in $(( $(date +%s) - T0 )) s; store $STORE"
exit $FAILED
