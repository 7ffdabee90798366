import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.url(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, "expected host:port"),
  TEMPORAL_NAMESPACE: z.string().min(1).default("default"),
  LOUPE_WORKER_ID: z.string().min(1).optional(),
  LOUPE_HEARTBEAT_MS: z.coerce.number().int().min(500).default(5000),
  /** Imported models this worker hosts: ONNX paths (manifest beside each), comma-separated. */
  LOUPE_MODELS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  /**
   * Batching: a batch closes after this long without a new run... (200 ms
   * gathers a burst of 20 concurrent runs into one batch on a 2-core machine,
   * where 50 ms split it into ~10; see the worker README.)
   */
  LOUPE_BATCH_QUIET_MS: z.coerce.number().int().min(0).default(200),
  /** ...or when its first run has waited this long... */
  LOUPE_BATCH_MAX_WAIT_MS: z.coerce.number().int().min(0).default(1000),
  /** ...or at this many rows (prompts)... */
  LOUPE_BATCH_MAX_ROWS: z.coerce.number().int().min(1).default(32),
  /** ...or at this many padded tokens (rows x the longest row: the activations' memory). */
  LOUPE_BATCH_MAX_PADDED_TOKENS: z.coerce
    .number()
    .int()
    .min(1)
    .default(32 * 1024),
  /** The platform task queue (default loupe-platform; tests isolate theirs). */
  LOUPE_PLATFORM_TASK_QUEUE: z.string().min(1).optional(),
  /**
   * Fault injection for crash tests, never set in production: hold every batch
   * this long after its runs' `started` events (heartbeats go on meanwhile), so
   * a test can kill the worker mid-batch.
   */
  LOUPE_FAULT_HOLD_BATCH_MS: z.coerce.number().int().min(0).default(0),
});

/** The worker's configuration, parsed once at start. */
export type WorkerEnv = z.infer<typeof schema>;

/** Parses the worker's env; a bad value fails at start, naming the variable. */
export function parseWorkerEnv(
  env: Record<string, string | undefined>,
): WorkerEnv {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `  ${i.path.join(".")}: ${i.message}`,
    );
    throw new Error(`invalid worker environment:\n${lines.join("\n")}`);
  }
  return result.data;
}
