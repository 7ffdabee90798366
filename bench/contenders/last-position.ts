import type * as ort from "onnxruntime-node";
import type { SavedTensor } from "@loupe/graph";

/** logits[:, -1, :] of a [batch, tokens, vocab] float32 tensor: what the contenders without hooks save. */
export function lastPosition(logits: ort.Tensor): SavedTensor & {
  dtype: "float32";
  data: Float32Array;
} {
  const [batch, tokens, vocab] = logits.dims as [number, number, number];
  const all = logits.data as Float32Array;
  const data = new Float32Array(batch * vocab);
  for (let b = 0; b < batch; b++)
    data.set(
      all.subarray(
        (b * tokens + tokens - 1) * vocab,
        (b * tokens + tokens) * vocab,
      ),
      b * vocab,
    );
  return { dtype: "float32", shape: [batch, vocab], data };
}
