#!/usr/bin/env bash
# Architecture comparison for the model card: trains each architecture on the same assembled data
# and evaluates it on the validation set through the scanner's scoring code. Does not install.
#   bash training/compare.sh [arch...]      (default: bag cnn transformer)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-training/build}
ARCHS=("$@"); [ ${#ARCHS[@]} -gt 0 ] || ARCHS=(bag cnn transformer)
for arch in "${ARCHS[@]}"; do
  mkdir -p "$BUILD/compare/$arch"
  cp models/mns-cnn/tokenizer.json models/mns-cnn/tokenizer_config.json "$BUILD/compare/$arch/"
  /usr/bin/python3 training/train.py --build "$BUILD" --arch "$arch" --out "$BUILD/compare/$arch/model.onnx" --metrics "$BUILD/compare/$arch/train-metrics.json" ${TRAIN_ARGS:-} 2> "$BUILD/compare/$arch/train.log"
  npx tsx training/evaluate.ts --build "$BUILD" --onnx "$BUILD/compare/$arch/model.onnx" --model-dir "$BUILD/compare/$arch" --id "mns-$arch" > "$BUILD/compare/$arch/eval.txt"
  echo "$arch: $(grep -m1 '"auroc"' "$BUILD/compare/$arch/eval.txt")"
done
