import { z } from "zod";
import { defineEvent, EventCatalog } from "../events/event-catalog.ts";
import { DEFAULT_RUN_LIMITS } from "../runs/run-limits.ts";

/**
 * Loupe's domain events, by stream: `user-<id>` (account, access application,
 * quota, API keys), `experiment-<id>` (versions, forks, visibility, stars),
 * `run-<id>` (a run's life, with its quota reservation and settlement) and
 * `model-<name>` (registrations, and hosting: requested, loading, online,
 * refused or failed, unhosted, unloaded). A payload change bumps its type's schema
 * version and adds an upcaster (see EventCatalog; run.requested is at 3).
 */
const id = z.string().min(1);
const visibility = z.enum(["private", "unlisted", "public"]);
/** An experiment's gallery labels: lower-case words, at most 10, none repeated. */
export const EXPERIMENT_TAG = /^[a-z0-9][a-z0-9-]{0,31}$/;
const tags = z
  .array(z.string().regex(EXPERIMENT_TAG, "a tag is 1-32 of a-z, 0-9 and -"))
  .max(10)
  .refine((t) => new Set(t).size === t.length, "tags repeat");

export const accountCreated = defineEvent({
  type: "account.created",
  version: 1,
  schema: z.object({
    userId: id,
    email: z.email(),
    name: z.string().min(1),
    role: z.enum(["researcher", "admin"]),
  }),
});
/** An administrator disabled an account: it signs in no more; its sessions, links and keys end. */
export const accountDisabled = defineEvent({
  type: "account.disabled",
  version: 1,
  schema: z.object({ userId: id, by: id, reason: z.string().min(1) }),
});
/** An administrator enabled a disabled account again (its old sessions and keys stay ended). */
export const accountEnabled = defineEvent({
  type: "account.enabled",
  version: 1,
  schema: z.object({ userId: id, by: id }),
});
/**
 * The account's owner set a new password: every session, sign-in link and API
 * key of the account ended with it. The password is never in the event.
 */
export const accountPasswordReset = defineEvent({
  type: "account.password_reset",
  version: 1,
  schema: z.object({ userId: id }),
});
export const applicationSubmitted = defineEvent({
  type: "application.submitted",
  version: 1,
  schema: z.object({
    userId: id,
    affiliation: z.string().min(1),
    purpose: z.string().min(1),
    /** Hosted models the applicant wants (absent before the portal asked). */
    modelsWanted: z.array(z.string().min(1)).default([]),
    /** In the applicant's words: how many runs, how large, how often. */
    expectedUsage: z.string().default(""),
  }),
});
export const applicationApproved = defineEvent({
  type: "application.approved",
  version: 1,
  schema: z.object({ userId: id, by: id }),
});
export const applicationRejected = defineEvent({
  type: "application.rejected",
  version: 1,
  schema: z.object({ userId: id, by: id, reason: z.string().min(1) }),
});
export const quotaGranted = defineEvent({
  type: "quota.granted",
  version: 2,
  schema: z.object({
    userId: id,
    by: id,
    computeSecondsPerDay: z.number().nonnegative(),
    maxConcurrentRuns: z.number().int().nonnegative(),
    maxRunsPerDay: z.number().int().nonnegative(),
    maxResultBytes: z.number().int().nonnegative(),
    // Per-run limits (version 2), enforced when a run is submitted.
    maxRowsPerRun: z.number().int().nonnegative(),
    maxTokensPerRow: z.number().int().nonnegative(),
    maxTokensPerRun: z.number().int().nonnegative(),
    maxNodesPerRun: z.number().int().nonnegative(),
    maxConstantBytesPerRun: z.number().int().nonnegative(),
    maxResultBytesPerRun: z.number().int().nonnegative(),
    maxRequestBytes: z.number().int().nonnegative(),
  }),
  // Version 1 had no per-run limits: such a grant has the defaults.
  upcasters: {
    1: (payload) => ({ ...DEFAULT_RUN_LIMITS, ...(payload as object) }),
  },
});
export const apiKeyCreated = defineEvent({
  type: "api_key.created",
  version: 1,
  schema: z.object({
    keyId: id,
    userId: id,
    name: z.string().min(1),
    prefix: z.string().min(4),
    /**
     * SHA-256 (hex) of the key, which the api_keys read model needs to
     * recognise it when rebuilt; not a secret (the key holds 192 random bits).
     * The key itself is never stored.
     */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    scopes: z.array(z.string().min(1)),
  }),
});
export const apiKeyRevoked = defineEvent({
  type: "api_key.revoked",
  version: 1,
  schema: z.object({ keyId: id, userId: id, by: id }),
});

export const experimentCreated = defineEvent({
  type: "experiment.created",
  version: 1,
  schema: z.object({
    experimentId: id,
    ownerId: id,
    title: z.string().min(1),
    description: z.string(),
    visibility,
    license: z.string().min(1),
    forkedFrom: z
      .object({ experimentId: id, version: z.number().int().min(1) })
      .nullable(),
    /** Gallery labels (lower-case); absent in events written before tags existed. */
    tags: tags.default([]),
  }),
});
/** The owner edited what the gallery shows: title, description, tags, license. */
export const experimentDescribed = defineEvent({
  type: "experiment.described",
  version: 1,
  schema: z.object({
    experimentId: id,
    title: z.string().min(1),
    description: z.string(),
    tags,
    license: z.string().min(1),
    by: id,
  }),
});
export const experimentVersionCommitted = defineEvent({
  type: "experiment.version_committed",
  version: 1,
  schema: z.object({
    experimentId: id,
    version: z.number().int().min(1),
    authorId: id,
    message: z.string(),
    model: z.string().min(1),
    graphHash: z.string().min(1),
    /** The graph document (loupe.graph format), immutable once committed. */
    graph: z.record(z.string(), z.unknown()),
  }),
});
export const experimentVisibilityChanged = defineEvent({
  type: "experiment.visibility_changed",
  version: 1,
  schema: z.object({ experimentId: id, visibility, by: id }),
});
export const experimentStarred = defineEvent({
  type: "experiment.starred",
  version: 1,
  schema: z.object({ experimentId: id, userId: id }),
});
export const experimentUnstarred = defineEvent({
  type: "experiment.unstarred",
  version: 1,
  schema: z.object({ experimentId: id, userId: id }),
});

export const runRequested = defineEvent({
  type: "run.requested",
  version: 3,
  schema: z.object({
    runId: id,
    userId: id,
    model: z.string().min(1),
    modelHash: z.string().min(1),
    /** The graph the run executes, stored once in the graphs table by this hash. */
    graphHash: z.string().min(1),
    experiment: z
      .object({ experimentId: id, version: z.number().int().min(1) })
      .nullable(),
    /** The client's id for the request (runs.submit's requestId): one run per user and id. */
    requestId: z.string().min(1).nullable(),
  }),
  upcasters: {
    1: (payload) => ({ ...(payload as object), graph: {} }),
    // Version 2 carried the graph document; it now lives in the graphs table
    // (the migration moved every run's graph there), named by graphHash.
    2: (payload) => {
      const { graph: _graph, ...rest } = payload as Record<string, unknown>;
      return { ...rest, requestId: null };
    },
  },
});
export const runQueued = defineEvent({
  type: "run.queued",
  version: 2,
  /**
   * A worker hosting the model claimed the run into a batch (one workflow per
   * batch runs it). Version 1 (one workflow per run) named no batch.
   */
  schema: z.object({
    runId: id,
    batchId: id.nullable(),
    workerId: id.nullable(),
  }),
  upcasters: {
    1: (payload) => ({ ...(payload as object), batchId: null, workerId: null }),
  },
});
export const runStarted = defineEvent({
  type: "run.started",
  version: 1,
  schema: z.object({ runId: id, workerId: id, batchId: id }),
});
export const runCompleted = defineEvent({
  type: "run.completed",
  version: 1,
  schema: z.object({
    runId: id,
    resultHash: z.string().min(1),
    resultBytes: z.number().int().nonnegative(),
    /** Served from an earlier identical run the requester may read. */
    cached: z.boolean(),
    metrics: z.object({
      /** The batch whose forward passes this run shared (null when served from cache). */
      batchId: z.string().nullable(),
      forwardPasses: z.number().int().nonnegative(),
      batchRows: z.number().int().nonnegative(),
      runRows: z.number().int().nonnegative(),
      computeSeconds: z.number().nonnegative(),
      /** What ran otherwise than the graph asked (absent: nothing). */
      warnings: z.array(z.string()).optional(),
    }),
  }),
});
/**
 * Tokens a generating run made at one step (or several), as they are made:
 * each with its row (trace, invoke, row) and step, and the row's text so far.
 * A retried run makes the same tokens again; the projection keeps one per step.
 */
export const runTokens = defineEvent({
  type: "run.tokens",
  version: 1,
  schema: z.object({
    runId: id,
    tokens: z
      .array(
        z.object({
          trace: z.number().int().min(0),
          invoke: z.number().int().min(0),
          row: z.number().int().min(0),
          step: z.number().int().min(0),
          id: z.number().int().min(0),
          /** The row's generated text after this token (null: no tokenizer). */
          text: z.string().nullable(),
        }),
      )
      .min(1),
  }),
});
export const runFailed = defineEvent({
  type: "run.failed",
  version: 1,
  schema: z.object({ runId: id, code: z.string().min(1), reason: z.string() }),
});
export const runCancelled = defineEvent({
  type: "run.cancelled",
  version: 1,
  schema: z.object({ runId: id, by: id }),
});

/**
 * Quota: a run's reservation, made atomically with its request (the estimate
 * from its tokens), and its settlement, made atomically with its end.
 */
export const quotaReserved = defineEvent({
  type: "quota.reserved",
  version: 1,
  schema: z.object({
    runId: id,
    userId: id,
    /** UTC day (YYYY-MM-DD) whose budget the run counts against. */
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    computeSeconds: z.number().nonnegative(),
  }),
});
export const quotaSettled = defineEvent({
  type: "quota.settled",
  version: 1,
  schema: z.object({
    runId: id,
    userId: id,
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** The reservation released, and what the run actually cost. */
    reservedSeconds: z.number().nonnegative(),
    computeSeconds: z.number().nonnegative(),
    resultBytes: z.number().int().nonnegative(),
  }),
});

/** A model a worker hosts, registered (again) when its hash changes. */
export const modelRegistered = defineEvent({
  type: "model.registered",
  version: 1,
  schema: z.object({
    name: z.string().min(1),
    hash: z.string().min(1),
    /** The model's manifest (loupe.manifest): what graphs are validated against. */
    manifest: z.record(z.string(), z.unknown()),
    /** Measured on a warm forward pass; reservations are estimated with it. */
    secondsPerToken: z.number().positive(),
    /**
     * The content hash of the model's tokenizer.json in the result store (SDKs
     * decode tokens with it), null for a model without one. Added after v1 was
     * first written, with a default, so earlier events read as null.
     */
    tokenizerHash: z.string().min(1).nullable().default(null),
  }),
});

/**
 * Where a hosted model's files are, as workers read them: an imported model's
 * `<stem>.onnx` on storage every worker mounts (an absolute path), or in the
 * S3-compatible store that results use (`s3://bucket/key.onnx`, with its
 * manifest, tokenizer and external data files in the same folder).
 */
export const modelSource = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("path"),
    path: z.string().regex(/^\/.*\.onnx$/, "an absolute path to an .onnx file"),
  }),
  z.object({
    kind: z.literal("s3"),
    url: z
      .string()
      .regex(/^s3:\/\/[^/\s]+\/\S+\.onnx$/, "s3://<bucket>/<key>.onnx"),
  }),
]);
export type ModelSource = z.infer<typeof modelSource>;
/** The host request a worker's report answers (null: the worker's own LOUPE_MODELS). */
const requestId = z.string().min(1).nullable();
const bytes = z.number().int().nonnegative();

/** An administrator asked for a model to be hosted, from files workers can read. */
export const modelHostRequested = defineEvent({
  type: "model.host_requested",
  version: 1,
  schema: z.object({
    name: z.string().min(1),
    requestId: z.string().min(1),
    source: modelSource,
    by: id,
  }),
});
/** A worker is reading the model's files: `loadedBytes` of `totalBytes` so far. */
export const modelLoading = defineEvent({
  type: "model.loading",
  version: 1,
  schema: z.object({
    name: z.string().min(1),
    requestId,
    workerId: id,
    loadedBytes: bytes,
    totalBytes: bytes,
  }),
});
/** A worker loaded the model and polls its task queue. */
export const modelOnline = defineEvent({
  type: "model.online",
  version: 1,
  schema: z.object({
    name: z.string().min(1),
    requestId,
    workerId: id,
    source: modelSource,
    /** The bytes of its weights (what the worker's memory budget counts). */
    weightBytes: bytes,
  }),
});
/** A worker refused to load the model before reading it: over its memory budget. */
export const modelRefused = defineEvent({
  type: "model.refused",
  version: 1,
  schema: z.object({
    name: z.string().min(1),
    requestId,
    workerId: id,
    reason: z.string().min(1),
    neededBytes: bytes,
    availableBytes: bytes,
  }),
});
/** Loading the model failed on a worker (its other models are unaffected). */
export const modelFailed = defineEvent({
  type: "model.failed",
  version: 1,
  schema: z.object({
    name: z.string().min(1),
    requestId,
    workerId: id,
    reason: z.string().min(1),
  }),
});
/** An administrator unhosted the model: no new runs; workers free its memory. */
export const modelUnhosted = defineEvent({
  type: "model.unhosted",
  version: 1,
  schema: z.object({ name: z.string().min(1), by: id }),
});
/** A worker stopped serving the model and closed its engine. */
export const modelUnloaded = defineEvent({
  type: "model.unloaded",
  version: 1,
  schema: z.object({
    name: z.string().min(1),
    workerId: id,
    /** The weight bytes its memory budget got back. */
    freedBytes: bytes,
  }),
});

/** Every domain event type, for writing (validated) and reading (parsed). */
export const domainEvents = new EventCatalog([
  accountCreated,
  accountDisabled,
  accountEnabled,
  accountPasswordReset,
  applicationSubmitted,
  applicationApproved,
  applicationRejected,
  quotaGranted,
  apiKeyCreated,
  apiKeyRevoked,
  experimentCreated,
  experimentVersionCommitted,
  experimentDescribed,
  experimentVisibilityChanged,
  experimentStarred,
  experimentUnstarred,
  runRequested,
  runQueued,
  runStarted,
  runTokens,
  runCompleted,
  runFailed,
  runCancelled,
  quotaReserved,
  quotaSettled,
  modelRegistered,
  modelHostRequested,
  modelLoading,
  modelOnline,
  modelRefused,
  modelFailed,
  modelUnhosted,
  modelUnloaded,
]);

/** A parsed domain event. */
export type DomainEvent = ReturnType<typeof domainEvents.parse>;

/** Stream names. */
export const streams = {
  user: (userId: string) => `user-${userId}`,
  experiment: (experimentId: string) => `experiment-${experimentId}`,
  run: (runId: string) => `run-${runId}`,
  model: (name: string) => `model-${name}`,
};
