#!/usr/bin/env bash
# Packs a build's windows, embeddings (as float16) and the held-out windows for the GPU sweep.
#   training/sweep/pack.sh BUILD HELD_JSON OUT_DIR
set -euo pipefail
build=$1; held=$2; out=$3
mkdir -p "$out"
gzip -c "$build/windows.json" > "$out/windows.json.gz"
gzip -c "$held" > "$out/held.json.gz"
/usr/bin/python3 -c "import sys, gzip, numpy as np; gzip.open(sys.argv[2], 'wb').write(np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float16).tobytes())" "$build/embeddings.f32" "$out/embeddings.f16.gz"
ls -la "$out"
