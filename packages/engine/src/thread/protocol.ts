import type { Manifest } from "@loupe/graph";
import type { EngineOptions, RunRequest } from "../engine.ts";
import type { SavedTensor } from "@loupe/graph";
import type { RowGeneration, RunUsage } from "../run/batch-step.ts";
import type { TokenEvent } from "../run/generate.ts";
import type { EngineMetrics } from "../run/session-cache.ts";

/** What the engine thread starts with. */
export type ThreadInit = (
  | {
      readonly model: Uint8Array;
      readonly manifest: Manifest;
      readonly tokenizer?: unknown;
    }
  /** An imported model on disk, read in the thread (see loadModelFiles). */
  | { readonly path: string }
) & {
  readonly options?: Omit<EngineOptions, "sessionOptions"> & {
    sessionOptions?: EngineOptions["sessionOptions"];
  };
};

export type ThreadRequest =
  | {
      readonly id: number;
      readonly type: "run";
      /** Without their AbortSignals (which do not cross threads): see "cancel". */
      readonly requests: readonly Omit<RunRequest, "signal">[];
      /** Whether to post each generated token (a "token" message) as it comes. */
      readonly stream: boolean;
    }
  /** Stops the generation of graph `graph` of run `run` at its next step. */
  | {
      readonly id: number;
      readonly type: "cancel";
      readonly run: number;
      readonly graph: number;
    }
  | { readonly id: number; readonly type: "close" };

/** An error as it crosses the thread boundary (name, code, message, validator issues). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly issues?: unknown;
}

export type ThreadReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly results: readonly {
        saves: Record<string, SavedTensor>;
        usage: RunUsage;
        error?: SerializedError;
        generated: readonly RowGeneration[];
        warnings: readonly string[];
      }[];
      readonly metrics: EngineMetrics;
      /** The loaded model's manifest (in the thread's first reply only). */
      readonly manifest?: Manifest;
    }
  /** A token of run `id`, as it is generated (the run's reply comes later). */
  | {
      readonly id: number;
      readonly ok: true;
      readonly token: TokenEvent;
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: SerializedError;
    };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error))
    return { name: "Error", message: String(error) };
  const e = error as Error & { code?: string; issues?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(e.code ? { code: e.code } : {}),
    ...(e.issues ? { issues: e.issues } : {}),
  };
}

/** The buffers of saved tensors, moved (not copied) to the main thread. */
export function transferablesOf(
  results: readonly { saves: Record<string, SavedTensor> }[],
): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const r of results)
    for (const t of Object.values(r.saves))
      if (t.data.buffer instanceof ArrayBuffer) seen.add(t.data.buffer);
  return [...seen];
}
