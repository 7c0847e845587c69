#!/usr/bin/env bash
# Qwen2.5-Math-PRM-7B through vLLM's STEP pooling on ProcessBench, on one CUDA GPU, in minutes.
#
#   scripts/gpu_prm_check.sh                # GSM8K and MATH; uses .venv-gpu (created on first use)
#   scripts/gpu_prm_check.sh --dry-run      # print what it would do, run nothing
#   SUBSETS=gsm8k scripts/gpu_prm_check.sh  # one subset
#   PRM_REVISION=<commit> PROCESSBENCH_DIR=/path/to/json scripts/gpu_prm_check.sh
#
# Steps: 1. the GPU and vllm; 2. the model at the pinned revision (resolved to its full commit,
# downloaded once, ~15 GB); 3. ProcessBench's JSON files (PROCESSBENCH_DIR, default
# ../shared/data/processbench; else the Hub dataset Qwen/ProcessBench at PB_REVISION);
# 4. bench/processbench_steps.py --prm vllm:... (step score < 0.5 = wrong), then each subset's F1
# next to the published one (ProcessBench paper / model card: GSM8K 82.4, MATH 77.6).
# Expect the download to dominate; scoring 1,400 solutions is prefill only (well under a minute
# on one H100/H200). Written for machines this project's CI does not have: bash -n and --dry-run.
set -euo pipefail
cd "$(dirname "$0")/.."
DRY=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    *) echo "gpu_prm_check.sh: unknown option '$arg' (known: --dry-run)" >&2; exit 2 ;;
  esac
done
VENV=${VENV:-.venv-gpu}
PY="$VENV/bin/python"
MODEL=${PRM_MODEL:-Qwen/Qwen2.5-Math-PRM-7B}
# The model page's latest commit seen when this was written ("Fix backslashes in prompt
# example (#5)"; the weights date from "Upload folder using huggingface_hub"). Step 2 resolves
# it to the full 40-hex commit and records that; set PRM_REVISION to move the pin.
REVISION=${PRM_REVISION:-0610740}
SUBSETS=${SUBSETS:-gsm8k math}
DATA=${PROCESSBENCH_DIR:-../shared/data/processbench}
PB_REVISION=${PB_REVISION:-main}
OUT=${OUT:-bench/results/processbench_prm_gpu.json}
OPTIONS=${PRM_OPTIONS:-'{"dtype": "bfloat16", "max_model_len": 4096, "gpu_memory_utilization": 0.85}'}

say() { echo; echo "== $1"; }
do_or_print() { if [ "$DRY" = 1 ]; then echo "would run: $*"; else "$@"; fi; }

say "1. GPU and vllm"
if [ "$DRY" = 1 ]; then
  echo "would check: nvidia-smi; $PY -c 'import vllm' (creating $VENV with pip install -e '.[vllm,dev]' if absent)"
else
  command -v nvidia-smi >/dev/null || { echo "FAIL: no nvidia-smi: not a CUDA machine"; exit 2; }
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -e ".[vllm,dev]"  # vllm pins its own torch/transformers
  fi
  "$PY" -c "import torch, vllm; assert torch.cuda.is_available(), 'torch sees no GPU'; print('vllm', vllm.__version__, '| torch', torch.__version__, '|', torch.cuda.get_device_name(0))"
fi

say "2. $MODEL at $REVISION"
if [ "$DRY" = 1 ]; then
  echo "would resolve $REVISION to a full commit (HfApi.model_info) and snapshot_download $MODEL at it"
  SHA="<full commit of $REVISION>"
else
  SHA=$("$PY" -c "
import sys, time
from huggingface_hub import HfApi, snapshot_download
sha = HfApi().model_info(sys.argv[1], revision=sys.argv[2]).sha
t0 = time.time(); snapshot_download(sys.argv[1], revision=sha)
print(f'{sys.argv[1]} {sys.argv[2]} -> {sha} ({time.time() - t0:.0f} s)', file=sys.stderr); print(sha)
" "$MODEL" "$REVISION")
fi

say "3. ProcessBench ($SUBSETS)"
if [ ! -f "$DATA/gsm8k.json" ]; then
  DATA=.bench/processbench
  [ "$DRY" = 1 ] || mkdir -p "$DATA"
  do_or_print "$PY" -c "
import json, sys
from datasets import load_dataset
for name in sys.argv[3:]:
    rows = load_dataset('Qwen/ProcessBench', split=name, revision=sys.argv[2]).to_list()
    keep = [{k: r[k] for k in ('id', 'problem', 'steps', 'label')} for r in rows]
    open(f'{sys.argv[1]}/{name}.json', 'w').write(json.dumps(keep))
    print(name, len(keep), 'rows')
" "$DATA" "$PB_REVISION" $SUBSETS
fi
echo "data: $DATA"

say "4. bench/processbench_steps.py --prm vllm:$MODEL"
# shellcheck disable=SC2086
do_or_print env PYTHONPATH=. "$PY" bench/processbench_steps.py --prm "vllm:$MODEL" \
  --revision "$SHA" --subsets $SUBSETS --data "$DATA" --prm-max-tokens 4096 \
  --backend-options "$OPTIONS" --out "$OUT"
if [ "$DRY" = 1 ]; then
  echo "would print, per subset: F1 x 100 next to the published F1 (GSM8K 82.4, MATH 77.6)"
  exit 0
fi
"$PY" - "$OUT" <<'EOF'
import json, sys
published = {"gsm8k": 82.4, "math": 77.6}  # the issue's reference figures (F1 x 100)
res = json.load(open(sys.argv[1]))["results"]
for name, r in res.items():
    pub = published.get(name)
    ratio = f"{100 * r['f1'] / pub:.3f}" if pub else "-"
    print(f"{name:>14}: F1 {100 * r['f1']:.1f}  published {pub}  ratio {ratio}  "
          f"unverifiable {r['unverifiable_share']:.3f}  [{r['seconds']} s]")
EOF
