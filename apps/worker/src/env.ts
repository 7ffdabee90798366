import {
  optionalVariables,
  parseAppEnv,
  RESULT_STORE_VARIABLES,
  resultStorageSettings,
  s3ConnectionSettings,
  serviceConnectionFields,
  settingFrom,
} from "@loupe/db";
import { z } from "zod";

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

const fields = z.object({
  ...serviceConnectionFields,
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
   * Batching: whenever the model's engine is free, the worker claims the
   * model's requested runs into a batch, round-robin across users (a user's
   * runs in flight rank theirs after everyone else's): at most this many
   * rows (prompts)...
   */
  LOUPE_BATCH_MAX_ROWS: z.coerce.number().int().min(1).default(32),
  /** ...and this many padded tokens (rows x the longest row: the activations' memory). */
  LOUPE_BATCH_MAX_PADDED_TOKENS: z.coerce
    .number()
    .int()
    .min(1)
    .default(32 * 1024),
  LOUPE_BATCH_MAX_RUNS_PER_USER: removed(
    "a batch is claimed round-robin across users, and a user's runs already in flight rank their waiting runs after everyone else's: no separate per-user cap",
  ),
  LOUPE_BATCH_QUIET_MS: removed(
    "a batch no longer waits for a quiet window: a batch is claimed as soon as the engine is free, and runs that arrive during a batch form the next one",
  ),
  LOUPE_BATCH_MAX_WAIT_MS: removed(
    "no run waits for its batch to fill any more: a run waits for the batch in flight, then for its turn among users",
  ),
  LOUPE_MODEL_MAX_CONCURRENT_RUNS: removed(
    "runs wait in PostgreSQL until a worker hosting their model claims them, not in the worker",
  ),
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
  /** Result storage's and S3's variables, which db's settings parsers read (below). */
  ...optionalVariables(RESULT_STORE_VARIABLES),
});

const schema = fields.transform((env, ctx) => ({
  ...env,
  /** Where run results are stored (LOUPE_RESULT_STORE and LOUPE_S3_*). */
  resultStorage: settingFrom(ctx, () => resultStorageSettings(env)),
  /** The S3 connection models hosted from S3 are fetched over (a model URL names its bucket). */
  s3: s3ConnectionSettings(env),
}));

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
export type WorkerEnv = z.output<typeof schema>;

/** Parses the worker's env; a bad value fails at start, naming the variable. */
export function parseWorkerEnv(
  env: Record<string, string | undefined>,
): WorkerEnv {
  return parseAppEnv("worker", schema, env);
}
