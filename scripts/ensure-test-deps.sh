#!/usr/bin/env bash
# The browser tests need Debian's Chromium; the training-pipeline test needs Debian's PyTorch and ONNX.
# Installs them when missing and this user can (root with apt-get); otherwise stops with one line to run.
set -euo pipefail
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
/usr/bin/python3 -c 'import torch, onnx' 2>/dev/null || missing+=(python3-torch python3-onnx)
# Without OpenBLAS, Debian's PyTorch multiplies matrices with the reference BLAS (about 30x slower).
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || missing+=(libopenblas0-pthread)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing test dependencies: ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Tests need: sudo apt-get install -y ${missing[*]}   (then run npm test again)" >&2
  exit 1
fi
