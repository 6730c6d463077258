import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { LogitsRunner } from './scorer.ts';

type TensorConstructor = typeof Tensor;

/** int32 ids to the int64 tensors the model takes, without a BigInt per element (little-endian). */
function widenToInt64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    words[2 * i] = v;
    words[2 * i + 1] = v < 0 ? -1 : 0;
  }
  return out;
}

/** Adapts an onnxruntime (web or node) session to the scorer's runner. */
export function ortRunner(session: InferenceSession, TensorClass: TensorConstructor): LogitsRunner {
  return async (ids, mask, batch, seq) => {
    const inputIds = new TensorClass('int64', widenToInt64(ids), [batch, seq]);
    const attentionMask = new TensorClass('int64', widenToInt64(mask), [batch, seq]);
    const output = await session.run({ input_ids: inputIds, attention_mask: attentionMask });
    const logits = output['logits'];
    if (!logits) throw new Error('The model has no "logits" output; it does not follow the model contract.');
    // getData() downloads from the GPU when the output lives there; a plain read works for CPU tensors.
    const data = (await logits.getData()) as Float32Array;
    inputIds.dispose(); attentionMask.dispose(); logits.dispose();
    return data;
  };
}
