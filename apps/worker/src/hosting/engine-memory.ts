import { z } from "zod";

const bytesByCategory = z.record(z.string(), z.number().nonnegative());
const engineMemory = z.object({
  current: bytesByCategory,
  peak: bytesByCategory,
});

/** An engine's memory: current and peak bytes by category (weights, sessions, activations, ...). */
export type EngineMemory = z.infer<typeof engineMemory>;

/**
 * Reads `engine.metrics.memory` when the engine reports it (current and peak
 * bytes per category), for the worker's heartbeat; undefined when it does
 * not, or reports something else (an engine older or newer than this worker).
 */
export function engineMemoryOf(engine: {
  readonly metrics: unknown;
}): EngineMemory | undefined {
  const metrics = engine.metrics as { memory?: unknown } | null | undefined;
  const parsed = engineMemory.safeParse(metrics?.memory);
  return parsed.success ? parsed.data : undefined;
}
