// Keeps the training pipeline from rotting: assemble, tokenize, train a small model on a slice,
// export to ONNX, and check through the scanner's own scoring path that it loads and beats chance.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../training/evaluate.ts';
import { HELD_OUT_SETS } from '../../training/held-out.ts';

const root = new URL('../..', import.meta.url).pathname;
const tsx = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: 'pipe' });

describe('training pipeline (small slice)', () => {
  it('trains, exports an ONNX model that onnxruntime loads, and beats chance on validation', async () => {
    const build = mkdtempSync(join(tmpdir(), 'mscan-train-'));
    const modelDir = join(build, 'model');
    tsx('training/assemble.ts', '--out', build);
    tsx('training/prepare.ts', '--build', build, '--model-dir', modelDir, '--no-glove', '--vocab', '8000');
    execFileSync('/usr/bin/python3', ['training/train.py', '--build', build, '--arch', 'bag', '--epochs', '3', '--limit', '1500', '--first-stage-plain', '3', '--out', join(build, 'model.onnx')], { cwd: root, stdio: 'pipe' });
    const metrics = await evaluate({ onnx: join(build, 'model.onnx'), modelDir, build, id: 'smoke', maxLength: 256, stride: 224, install: false });
    expect(metrics.validation_items).toBeGreaterThan(50);
    expect(metrics.misalignment.auroc).toBeGreaterThan(0.6);

    // An ensemble (as shipped: members joined by +) is one graph whose members share one embedding
    // table, so it is far smaller than two models; each member is also exported for comparison.
    execFileSync('/usr/bin/python3', ['training/train.py', '--build', build, '--arch', 'bag+bag', '--epochs', '3', '--limit', '1500', '--out', join(build, 'ensemble.onnx')], { cwd: root, stdio: 'pipe' });
    const single = statSync(join(build, 'model.onnx')).size;
    expect(statSync(join(build, 'ensemble.onnx')).size).toBeLessThan(single * 1.2);
    expect(existsSync(join(build, 'ensemble.member0.onnx')) && existsSync(join(build, 'ensemble.member1.onnx'))).toBe(true);
    // As shipped, a cascade: the bag (trained with the first stage's extra ordinary text) gates the ensemble.
    const cascade = await evaluate({ onnx: join(build, 'ensemble.onnx'), modelDir, build, id: 'smoke', maxLength: 256, stride: 224, install: false, stage1: join(build, 'model.onnx') });
    expect(cascade.misalignment.auroc).toBeGreaterThan(0.6);
    // Gate and mixing weight are chosen on dev and validation, within their ranges.
    expect(cascade.cascade?.['gate']).toBeGreaterThanOrEqual(0);
    expect(cascade.cascade?.['gate']).toBeLessThanOrEqual(0.5);
    expect([1, 0.7, 0.5, 0.3]).toContain(cascade.cascade?.['main_weight']);
    expect(cascade.held_out_test?.validation_items).toBeGreaterThan(100);
    // The flag threshold is chosen on validation and the exposed held-out sets, never a blind one:
    // the documents it was chosen on are counted from the build's files, independently of evaluate.ts.
    const lines = (name: string) => readFileSync(join(build, `${name}.jsonl`), 'utf8').split('\n').filter(Boolean).length;
    const exposed = HELD_OUT_SETS.filter((s) => s.exposed).map((s) => s.folder);
    const blind = HELD_OUT_SETS.filter((s) => !s.exposed).map((s) => s.folder);
    expect(blind.length).toBeGreaterThan(0);
    expect(cascade.threshold_chosen_on.sets).toEqual(['validation', ...exposed]);
    expect(cascade.threshold_chosen_on.documents).toBe(lines('val') + exposed.reduce((n, f) => n + lines(f), 0));
    for (const f of blind) expect(cascade.threshold_chosen_on.sets).not.toContain(f);

    // The first stage with local means (not shipped, compared in the model card) exports and runs too.
    execFileSync('/usr/bin/python3', ['training/train.py', '--build', build, '--arch', 'bag-local', '--epochs', '2', '--limit', '1500', '--epoch-groups', '1000', '--out', join(build, 'bag-local.onnx')], { cwd: root, stdio: 'pipe' });
    const local = await evaluate({ onnx: join(build, 'bag-local.onnx'), modelDir, build, id: 'smoke', maxLength: 256, stride: 224, install: false });
    expect(local.misalignment.auroc).toBeGreaterThan(0.6);
  }, 900_000);
});
