#!/usr/bin/env bash
# Runs sweep variants PAR at a time on the GPU until DEADLINE seconds, then bundles the per-window
# probabilities into $OUT/sweep.tar (the device tool returns at most 8 files). See README.md.
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
W=/tmp/sweep; mkdir -p $W
nvidia-smi --query-gpu=name,memory.used --format=csv
python3 -c 'import torch; print(torch.__version__, torch.cuda.is_available())'
# Round 10 ran these two lists, the second in a second call on the same machine.
JOBS=${JOBS:-"A:1 G:1 B:1 J:1 K:1 D:1 C:1 I:1 L:1 F:1 H:1 A:2 G:2 B:2 J:2 K:2 E:1 L:2 D:2 N:1 Q:1 O:1 P:1 F:2 I:2 R:1 C:2 H:2 Q:2 N:2 P:2"}
( echo $JOBS | tr ' ' '\n' | timeout ${DEADLINE:-500} xargs -P ${PAR:-8} -I{} sh -c 'v=$(echo {} | cut -d: -f1); s=$(echo {} | cut -d: -f2); python3 training/sweep/sweep.py training/sweep/data '$W' $v $s '"${LIMIT:-}"' 2>'$W'/$v-$s.log >>'$W'/done.jsonl' ) || true
cat $W/done.jsonl
for f in $W/*.log; do echo "== $f"; tail -2 $f; done 2>/dev/null | tail -80
tar -cf $OUT/sweep.tar -C $W . && ls -la $OUT
