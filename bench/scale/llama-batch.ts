/**
 * What the scale phase computes on the 1.1B model (bench/models/
 * export_llama_1b.py): the batch, the tasks and their outputs, defined once
 * for every side. bench/peers/llama_reference.py (PyTorch) restates these
 * constants and the token formula; the onnxruntime-node row (ort-llama.ts)
 * and Loupe's side (loupe-side.ts) import them.
 */

/** Prompts in the batch, and tokens per prompt (no padding). */
export const SCALE_BATCH = 4;
export const SCALE_TOKENS = 16;
/** Greedy generation: new tokens per prompt, with the key/value cache. */
export const SCALE_NEW_TOKENS = 16;
export const SCALE_LAYERS = 22;
export const SCALE_VOCAB = 32000;
/** Activation patching's layer: its MLP output at the last position of rows 0-1 is written into rows 2-3. */
export const SCALE_PATCH_LAYER = 11;

/**
 * The tasks, in run order, and what each saves (the dumped tensor of that
 * name, which every side must produce alike):
 *   forward   logits at the last position, float32 [4, 32000]
 *   patching  model.layers.11.mlp's output at the last position of rows 0-1
 *             written into rows 2-3; their logits at the last position,
 *             float32 [2, 32000]
 *   lens      logit lens over all 22 layers: the logits
 *             lm_head(model.norm(h_i[:, -1, :])), float32 [22, 4, 32000]
 *   generate  16 greedy new tokens per prompt with the key/value cache,
 *             int64 [4, 16]
 */
export const SCALE_TASKS = ["forward", "patching", "lens", "generate"] as const;
export type ScaleTask = (typeof SCALE_TASKS)[number];

/** The prompts' token ids: a 32-bit LCG from seed 1 (as gpt2-graphs.ts tokenRows), modulo the vocabulary. */
export function scaleTokenRows(): number[][] {
  let state = 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % SCALE_VOCAB;
  };
  return Array.from({ length: SCALE_BATCH }, () =>
    Array.from({ length: SCALE_TOKENS }, next),
  );
}
