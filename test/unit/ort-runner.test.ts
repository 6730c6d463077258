import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { ortRunner } from '../../core/ort-runner.ts';

/** Just enough of onnxruntime's Tensor for the runner. */
class FakeTensor {
  constructor(readonly type: string, readonly data: BigInt64Array | Float32Array, readonly dims: number[]) {}
  async getData() { return this.data; }
  dispose() {}
}

/** A session whose logits are, per row, the sum of its ids and of its mask, read after a pause (so calls can overlap). */
const fakeSession = {
  async run(feeds: Record<string, FakeTensor>) {
    const ids = feeds['input_ids']!; const mask = feeds['attention_mask']!;
    await new Promise((r) => setTimeout(r, 1));
    const [batch, seq] = ids.dims as [number, number];
    expect(ids.data.length).toBe(batch * seq);
    const out = new Float32Array(batch * 2);
    for (let r = 0; r < batch; r++) for (let k = 0; k < seq; k++) { out[2 * r] = out[2 * r]! + Number(ids.data[r * seq + k]); out[2 * r + 1] = out[2 * r + 1]! + Number(mask.data[r * seq + k]); }
    return { logits: new FakeTensor('float32', out, [batch, 2]) };
  },
} as unknown as InferenceSession;

describe('ortRunner', () => {
  it('widens int32 inputs to int64 exactly, for calls of any shape, also when they overlap', async () => {
    const run = ortRunner(fakeSession, FakeTensor as unknown as typeof Tensor);
    const call = (batch: number, seq: number, base: number) => {
      const ids = Int32Array.from({ length: batch * seq }, (_, i) => base + i);
      const mask = Int32Array.from({ length: batch * seq }, (_, i) => (i % seq < seq - 1 ? 1 : 0));
      return run(ids, mask, batch, seq);
    };
    const expected = (batch: number, seq: number, base: number) => Float32Array.from({ length: batch * 2 }, (_, i) => {
      const r = Math.floor(i / 2);
      return i % 2 === 0 ? Array.from({ length: seq }, (_, k) => base + r * seq + k).reduce((a, b) => a + b, 0) : seq - 1;
    });
    // Overlapping calls of different shapes, then a smaller call that reuses the larger buffers.
    const [a, b] = await Promise.all([call(4, 8, 100), call(2, 5, 7000)]);
    const c = await call(1, 3, -5);
    expect([a, b, c]).toEqual([expected(4, 8, 100), expected(2, 5, 7000), expected(1, 3, -5)]);
  });
});
