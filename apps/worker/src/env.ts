import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.url(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, "expected host:port"),
  TEMPORAL_NAMESPACE: z.string().min(1).default("default"),
  LOUPE_WORKER_ID: z.string().min(1).optional(),
  LOUPE_HEARTBEAT_MS: z.coerce.number().int().min(500).default(5000),
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
