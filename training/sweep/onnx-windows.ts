// Per-window probabilities of an exported ONNX model on held-windows.ts's windows, as JSON
// {set: [[7 probabilities] per window]}, for analyze.py (analyze.py reads the JSON as is).
//   npx tsx training/sweep/onnx-windows.ts HELD.json.gz MODEL.onnx OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { ortRunner } from '../../core/ort-runner.ts';
const [heldPath, onnx, out] = process.argv.slice(2) as [string, string, string];
const held = JSON.parse(gunzipSync(readFileSync(heldPath)).toString()) as Record<string, { windows: number[][] }[]>;
const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 2 });
const run = ortRunner(session, ort.Tensor);
const res: Record<string, number[][]> = {};
for (const [name, docs] of Object.entries(held)) {
  const wins = docs.flatMap((d) => d.windows);
  res[name] = [];
  for (let i = 0; i < wins.length; i += 64) {
    const b = wins.slice(i, i + 64); const s = Math.max(...b.map((w) => w.length));
    const ids = new Int32Array(b.length * s); const mask = new Int32Array(b.length * s);
    b.forEach((w, r) => w.forEach((t, k) => { ids[r * s + k] = t; mask[r * s + k] = 1; }));
    const logits = await run(ids, mask, b.length, s);
    for (let r = 0; r < b.length; r++) res[name].push(Array.from(logits.subarray(r * 7, r * 7 + 7), (x) => Math.round(1e4 / (1 + Math.exp(-x))) / 1e4));
  }
}
writeFileSync(out, JSON.stringify(res));
