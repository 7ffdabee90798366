import { z } from "zod";

/** LOUPE_MODEL_MAX_CONCURRENT_RUNS's default (tests' in-process workers take it too). */
export const DEFAULT_MODEL_MAX_CONCURRENT_RUNS = 4096;

/**
 * A variable an earlier worker read and this one does not: set (even empty),
 * it fails the start, saying why it went, rather than being silently ignored
 * by a deployment that still counts on it.
 */
function removed(why: string) {
  return z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value !== undefined)
        ctx.addIssue({
          code: "custom",
          message: `is no longer read: ${why}; unset it (it is set to "${value}")`,
        });
    })
    .transform(() => undefined);
}

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
   * Batching: a pass starts as soon as the model's engine is free, with the
   * runs queued then, filled round-robin across users: at most this many
   * rows (prompts)...
   */
  LOUPE_BATCH_MAX_ROWS: z.coerce.number().int().min(1).default(32),
  /** ...this many padded tokens (rows x the longest row: the activations' memory)... */
  LOUPE_BATCH_MAX_PADDED_TOKENS: z.coerce
    .number()
    .int()
    .min(1)
    .default(32 * 1024),
  /** ...and this many runs of one user (see the worker README). */
  LOUPE_BATCH_MAX_RUNS_PER_USER: z.coerce.number().int().min(1).default(8),
  LOUPE_BATCH_QUIET_MS: removed(
    "a batch no longer waits for a quiet window: a pass starts as soon as the engine is free, and runs that arrive during a pass form the next one",
  ),
  LOUPE_BATCH_MAX_WAIT_MS: removed(
    "no run waits for its batch to fill any more: a run waits for the pass in flight, then for its turn among users (LOUPE_BATCH_MAX_RUNS_PER_USER)",
  ),
  /**
   * The runs one model's Temporal worker takes at once (its
   * maxConcurrentActivityTaskExecutions): they wait in the worker's batcher,
   * where passes are filled fairly; runs beyond it wait in Temporal's task
   * queue, first in first out, whoever they belong to.
   */
  LOUPE_MODEL_MAX_CONCURRENT_RUNS: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_MODEL_MAX_CONCURRENT_RUNS),
  /**
   * Which models this worker hosts when an administrator asks (`loupe models
   * host`, the admin page): `all`, `none` (default: only LOUPE_MODELS), or
   * model names, comma-separated (production: one worker deployment per model).
   */
  LOUPE_HOSTING: z
    .string()
    .default("none")
    .transform((v): HostingScope => {
      const names = v
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean);
      if (names.length === 1 && (names[0] === "all" || names[0] === "none"))
        return { kind: names[0] };
      return names.length === 0 ? { kind: "none" } : { kind: "named", names };
    }),
  /** How often the worker reads the models' hosting states (ms). */
  LOUPE_HOSTING_POLL_MS: z.coerce.number().int().min(100).default(1000),
  /**
   * The bytes of model weights this worker may hold (e.g. 8GiB, 512MiB,
   * 1000000): a model that does not fit what is left is refused before
   * loading. Unset: no budget.
   */
  LOUPE_WORKER_MEMORY_BYTES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return null;
      const bytes = parseByteSize(v);
      if (bytes === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `expected a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB), got "${v}"`,
        });
        return z.NEVER;
      }
      return bytes;
    }),
  /**
   * Where engines write the weights of exports that keep them inline, once per
   * model, for every session to map (default: <tmp>/loupe-weights).
   */
  LOUPE_WEIGHTS_DIR: z.string().min(1).optional(),
  /** Where models hosted from S3 are fetched to (default: <tmp>/loupe-models). */
  LOUPE_MODEL_CACHE_DIR: z.string().min(1).optional(),
  /** The platform task queue (default loupe-platform; tests isolate theirs). */
  LOUPE_PLATFORM_TASK_QUEUE: z.string().min(1).optional(),
  /**
   * Fault injection for crash tests, never set in production: hold every batch
   * this long after its runs' `started` events (heartbeats go on meanwhile), so
   * a test can kill the worker mid-batch.
   */
  LOUPE_FAULT_HOLD_BATCH_MS: z.coerce.number().int().min(0).default(0),
});

/** Which host requests a worker takes on (LOUPE_HOSTING). */
export type HostingScope =
  | { readonly kind: "all" }
  | { readonly kind: "none" }
  | { readonly kind: "named"; readonly names: readonly string[] };

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** "8GiB" -> 8589934592, "1.5 GB" -> 1500000000; undefined when it is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m && UNITS[m[2]!.toLowerCase()];
  if (!m || unit === undefined || unit === null) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

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
