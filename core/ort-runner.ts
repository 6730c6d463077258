import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { LogitsRunner } from './scorer.ts';

type TensorConstructor = typeof Tensor;

/** int32 ids into `out` as the int64 values the model takes, without a BigInt per element (little-endian). */
function widenToInt64(values: Int32Array, out: BigInt64Array): BigInt64Array {
  const words = new Int32Array(out.buffer, out.byteOffset, values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    words[2 * i] = v;
    words[2 * i + 1] = v < 0 ? -1 : 0;
  }
  return out;
}

/**
 * Adapts an onnxruntime (web or node) session to the scorer's runner. The int64 inputs are written
 * into two buffers kept between calls (views of the call's size): a fresh pair per call was half a
 * megabyte of ArrayBuffers per 128 passages, which the tab's collector freed late (a 256 MB scan in
 * fast mode left ~250 MB of such garbage). A call that overlaps another gets buffers of its own.
 */
export function ortRunner(session: InferenceSession, TensorClass: TensorConstructor): LogitsRunner {
  let kept = { ids: new BigInt64Array(0), mask: new BigInt64Array(0) };
  let inFlight = false;
  return async (ids, mask, batch, seq) => {
    const n = batch * seq;
    const reuse = !inFlight;
    if (reuse && kept.ids.length < n) kept = { ids: new BigInt64Array(n), mask: new BigInt64Array(n) };
    const buffers = reuse ? { ids: kept.ids.subarray(0, n), mask: kept.mask.subarray(0, n) } : { ids: new BigInt64Array(n), mask: new BigInt64Array(n) };
    if (reuse) inFlight = true;
    try {
      const inputIds = new TensorClass('int64', widenToInt64(ids, buffers.ids), [batch, seq]);
      const attentionMask = new TensorClass('int64', widenToInt64(mask, buffers.mask), [batch, seq]);
      const output = await session.run({ input_ids: inputIds, attention_mask: attentionMask });
      const logits = output['logits'];
      if (!logits) throw new Error('The model has no "logits" output; it does not follow the model contract.');
      // getData() downloads from the GPU when the output lives there; a plain read works for CPU tensors.
      const data = (await logits.getData()) as Float32Array;
      inputIds.dispose(); attentionMask.dispose(); logits.dispose();
      return data;
    } finally {
      if (reuse) inFlight = false;
    }
  };
}
