// Keeps the training pipeline from rotting: assemble, tokenize, train a small model on a slice,
// export to ONNX, and check through the scanner's own scoring path that it loads and beats chance.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../training/evaluate.ts';

const root = new URL('../..', import.meta.url).pathname;
const tsx = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: 'pipe' });

describe('training pipeline (small slice)', () => {
  it('trains, exports an ONNX model that onnxruntime loads, and beats chance on validation', async () => {
    const build = mkdtempSync(join(tmpdir(), 'mscan-train-'));
    const modelDir = join(build, 'model');
    tsx('training/assemble.ts', '--out', build);
    tsx('training/prepare.ts', '--build', build, '--model-dir', modelDir, '--no-glove', '--vocab', '8000');
    execFileSync('/usr/bin/python3', ['training/train.py', '--build', build, '--arch', 'bag', '--epochs', '3', '--limit', '1500', '--out', join(build, 'model.onnx')], { cwd: root, stdio: 'pipe' });
    const metrics = await evaluate({ onnx: join(build, 'model.onnx'), modelDir, build, id: 'smoke', maxLength: 256, stride: 224, install: false });
    expect(metrics.validation_items).toBeGreaterThan(50);
    expect(metrics.misalignment.auroc).toBeGreaterThan(0.6);
  }, 600_000);
});
