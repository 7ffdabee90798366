import type * as ort from "onnxruntime-node";

/**
 * What the engine's memory is spent on: `weights` (mapped from their file,
 * once, shared by every session), `sessions` (compiled models in the session
 * cache: their structure and small inline weights), `activations` (tensors the
 * batch in flight holds between sessions; ONNX Runtime's scratch memory
 * inside a session run is not visible from here), and `total`, their sum.
 */
export type MemoryCategory = "weights" | "sessions" | "activations" | "total";

/** Bytes held now and the most held since the engine started, by category. */
export interface MemoryMetrics {
  readonly current: Record<MemoryCategory, number>;
  readonly peak: Record<MemoryCategory, number>;
}

const zero = (): Record<MemoryCategory, number> => ({
  weights: 0,
  sessions: 0,
  activations: 0,
  total: 0,
});

export const emptyMemory = (): MemoryMetrics => ({
  current: zero(),
  peak: zero(),
});

/** Sets a category's current bytes, and the total, raising their peaks. */
export function recordMemory(
  memory: MemoryMetrics,
  category: Exclude<MemoryCategory, "total">,
  bytes: number,
): void {
  const { current, peak } = memory;
  current[category] = bytes;
  current.total = current.weights + current.sessions + current.activations;
  peak[category] = Math.max(peak[category], bytes);
  peak.total = Math.max(peak.total, current.total);
}

/** Bytes of tensors' data (CPU tensors). */
export function tensorBytes(tensors: Iterable<ort.Tensor>): number {
  let sum = 0;
  for (const t of tensors) {
    const data = t.data as { byteLength?: number };
    sum += data.byteLength ?? 0;
  }
  return sum;
}
