import {
  createModel,
  GraphValidationError,
  loadTokenizer,
  manifestSchema,
  serializeGraph,
  type GenericModules,
  type Graph,
  type Manifest,
  type TextTokenizer,
} from "@loupe/graph";
import {
  GraphInvalidError,
  LoupeClientError,
  ServerUnreachableError,
} from "../errors/loupe-client-error.ts";
import { ExperimentsClient } from "../experiments/experiments-client.ts";
import { LocalModels } from "../local/local-models.ts";
import { modelCacheDir } from "../local/find-model-file.ts";
import { localFilesHints, type Runner } from "../local/local-files-hints.ts";
import {
  wrapModel,
  type LoupeModel,
  type GeneratedToken,
  type ModelBackend,
  type TraceOptions,
} from "../models/loupe-model.ts";
import { checkLocalGraph } from "../models/check-local-graph.ts";
import { scriptSources } from "../models/script-sources.ts";
import type { TokenEvent } from "@loupe/engine";
import { TraceResult } from "../results/trace-result.ts";
import { generatedTokensOf } from "../runs/generated-tokens-of.ts";
import { RunHandle } from "../runs/run-handle.ts";
import {
  toRunStatus,
  type RunState,
  type RunStatus,
} from "../runs/run-status.ts";
import { ApiClient } from "./api-client.ts";
import { resolveConnection } from "./config-file.ts";

export interface LoupeOptions {
  /** The server (default: LOUPE_URL, then `loupe login`'s config, then http://localhost:3000). */
  readonly url?: string;
  /** An API key (default: LOUPE_API_KEY, then `loupe login`'s config). */
  readonly apiKey?: string;
  /**
   * Model files on this machine, by model name (`{ "facts-gpt2":
   * "models/facts/model.onnx" }`): traces with `remote: false` run them with
   * the local engine, and such a model's manifest is read from its files.
   * Without an entry, a hosted model's files are found by its hash: the
   * engine's bundled models (`bundledModelFiles()` of @loupe/engine), then
   * the model cache (`loupe models pull`).
   */
  readonly modelFiles?: Readonly<Record<string, string>>;
  /**
   * Who runs the script, for the fixes error messages suggest: "script" (the
   * default) names createLoupe's options and trace options; "cli", which
   * `loupe run` sets, names its flags.
   */
  readonly runner?: Runner;
  /** Where traces run when they do not say (default false: here, as in NNsight). */
  readonly remote?: boolean;
}

/** A hosted model as `models.list` reports it. */
export interface HostedModel {
  readonly name: string;
  /** Null until a worker has loaded and registered it. */
  readonly hash: string | null;
  readonly registeredAt: Date | null;
  /**
   * Where hosting it stands (requested, loading, online, refused, failed,
   * unhosted); null for a model a worker hosts from its configuration only.
   */
  readonly state: string | null;
  /** Why it was refused or failed. */
  readonly reason: string | null;
  /** Workers serving it now. */
  readonly workers: number;
}

/**
 * The client scripts start from: models to trace, runs to follow, experiments
 * to push and fork. Nothing connects until a call needs the server.
 *
 * @example
 * const loupe = createLoupe({ url: "http://localhost:3000", apiKey: process.env.LOUPE_API_KEY });
 * const lm = await loupe.model("facts-gpt2");
 */
export function createLoupe(options: LoupeOptions = {}): Loupe {
  return new Loupe(options);
}

export class Loupe {
  readonly api: ApiClient;
  readonly experiments: ExperimentsClient;
  readonly runs: {
    /** A handle on a run by id (submitted earlier, maybe by another process). */
    get: (runId: string) => RunHandle;
    /** Your runs, newest first. */
    list: (filter?: {
      status?: RunState;
      model?: string;
      limit?: number;
    }) => Promise<RunStatus[]>;
  };
  readonly #local: LocalModels;
  readonly #modelFiles: Readonly<Record<string, string>>;
  readonly #hints: ReturnType<typeof localFilesHints>;
  readonly #cacheDir: string;
  readonly #defaultRemote: boolean;

  constructor(options: LoupeOptions = {}, local = new LocalModels()) {
    this.api = new ApiClient(resolveConnection(options));
    this.experiments = new ExperimentsClient(this.api);
    this.#local = local;
    this.#modelFiles = options.modelFiles ?? {};
    this.#hints = localFilesHints(options.runner ?? "script");
    this.#cacheDir = modelCacheDir();
    this.#defaultRemote = options.remote ?? false;
    this.runs = {
      get: (runId) => new RunHandle(this.api, runId),
      list: async (filter = {}) =>
        (
          await this.api.call("listing runs", (t) => t.runs.list.query(filter))
        ).map(toRunStatus),
    };
  }

  get url(): string {
    return this.api.url;
  }

  /**
   * A model to trace. With local files for `name` (the `modelFiles` option) its
   * manifest comes from them; otherwise from the server, and local traces run
   * the files on this machine that have the hosted model's hash (bundled with
   * the engine, or in the model cache). Either way it can run in both places:
   * traces choose with `{ remote }`.
   */
  async model<Tree extends object = GenericModules>(
    name: string,
  ): Promise<LoupeModel<Tree>> {
    const file = this.#modelFiles[name];
    if (file) {
      const { manifest } = await this.#local.engine(file);
      if (manifest.model.name !== name)
        throw new LoupeClientError(
          "LOCAL_MODEL_MISMATCH",
          `${file} holds model "${manifest.model.name}", not "${name}"; ${this.#hints.fixFiles}`,
        );
      return wrapModel(
        createModel<Tree>(manifest),
        this.#backend(name, manifest, { given: file }, null),
      );
    }
    const hosted = await this.api.call(`reading model ${name}`, (t) =>
      t.models.manifest.query({ model: name }),
    );
    const manifest = manifestSchema.parse(hosted.manifest);
    return wrapModel(
      createModel<Tree>(manifest),
      this.#backend(name, manifest, { hash: hosted.hash }, hosted.tokenizerUrl),
    );
  }

  /** A model from files on this machine only (no server involved unless a trace asks). */
  async localModel<Tree extends object = GenericModules>(
    onnxPath: string,
  ): Promise<LoupeModel<Tree>> {
    const engine = await this.#local.engine(onnxPath);
    const { name } = engine.manifest.model;
    return wrapModel(
      createModel<Tree>(engine.manifest),
      this.#backend(name, engine.manifest, { given: onnxPath }, null),
    );
  }

  /** The models the server hosts. */
  async models(): Promise<HostedModel[]> {
    const models = await this.api.call("listing models", (t) =>
      t.models.list.query(),
    );
    return models.map((m) => ({
      ...m,
      registeredAt: m.registeredAt === null ? null : new Date(m.registeredAt),
    }));
  }

  /** The account behind the API key: name, access, quota and today's usage. */
  async me() {
    return this.api.call("reading your account", (t) => t.account.me.query());
  }

  /**
   * Submits a graph to the server; returns without waiting. The call has a
   * request id of its own (or `requestId`), sent again on each retry: when
   * the server is unreachable or answers 502, 503 or 504, the submit is
   * retried (up to 5 times, backing off from 0.5 s), and the server returns
   * the same run for the same id however often it arrives, so a retry never
   * makes a second, charged run.
   */
  async submit(
    model: string,
    graph: Graph,
    options: { reuse?: boolean; requestId?: string } = {},
  ): Promise<RunHandle> {
    const sources = scriptSources(graph);
    const input = {
      model,
      graph: JSON.parse(serializeGraph(graph)) as unknown,
      ...(sources && { sources }),
      reuse: options.reuse ?? true,
      requestId: options.requestId ?? globalThis.crypto.randomUUID(),
    };
    const { runId } = await withRetries(() =>
      this.api.call(`submitting a run of ${model}`, (t) =>
        t.runs.submit.mutate(input),
      ),
    );
    return new RunHandle(this.api, runId);
  }

  /** Closes local engines (ONNX Runtime sessions). */
  async close(): Promise<void> {
    await this.#local.close();
  }

  /**
   * The model file a local trace of `name` runs: the given one, else the one
   * on this machine with the hosted model's hash (LOCAL_MODEL_MISSING, with
   * the fixes, when there is none).
   */
  async #localFile(name: string, files: LocalFiles): Promise<string> {
    if ("given" in files) return files.given;
    const found = await this.#local.find(
      { name, hash: files.hash },
      this.#cacheDir,
    );
    if (found) return found;
    throw new LoupeClientError(
      "LOCAL_MODEL_MISSING",
      this.#hints.missing(name),
    );
  }

  #backend(
    name: string,
    manifest: Manifest,
    files: LocalFiles,
    tokenizerUrl: string | null,
  ): ModelBackend {
    const file = "given" in files ? files.given : undefined;
    // Found once, at the first local trace; a failed search is not kept.
    let found: Promise<string> | undefined;
    const localFile = () =>
      (found ??= this.#localFile(name, files).catch((error: unknown) => {
        found = undefined;
        throw error;
      }));
    let tokenizer: Promise<TextTokenizer> | undefined;
    // A model read from local files and run remotely: the server must host
    // the same weights, or local and remote results would silently differ.
    let sameAsHosted: Promise<void> | undefined;
    const checkHosted = () =>
      (sameAsHosted ??= this.api
        .call(`reading model ${name}`, (t) =>
          t.models.manifest.query({ model: name }),
        )
        .then((hosted) => {
          if (hosted.hash !== (manifest.model.hash ?? name))
            throw new LoupeClientError(
              "LOCAL_MODEL_MISMATCH",
              `the server hosts ${name} with hash ${hosted.hash}, but ${file} has ${manifest.model.hash}: local and remote results would differ. ${this.#hints.useHosted(name)}`,
            );
        })
        .catch((error: unknown) => {
          sameAsHosted = undefined;
          throw error;
        }));
    const runLocal = async (
      graph: Graph,
      options: TraceOptions,
    ): Promise<TraceResult> => {
      const engine = await this.#local.engine(await localFile());
      try {
        const { onToken } = options;
        const checked = checkLocalGraph(
          graph,
          engine.manifest,
          engine.tokenizer,
        );
        const { saves, warnings } = await engine.run(
          { checked, ...(options.cancel && { signal: options.cancel }) },
          onToken ? { onToken: (e) => onToken(toGeneratedToken(e)) } : {},
        );
        return emitWarnings(new TraceResult(saves, null, warnings));
      } catch (error) {
        if (error instanceof GraphValidationError)
          throw new GraphInvalidError(error.issues, error.message, {
            cause: error,
          });
        throw error;
      }
    };
    // The decoder of streamed tokens' texts, when a listener wants them
    // (null without a tokenizer: the texts stay null, as the server's do).
    const decoder = async (options: TraceOptions) =>
      options.onToken
        ? backend.tokenizer().then(
            (t) => (ids: readonly number[]) => t.decode(ids),
            () => null,
          )
        : null;
    const backend: ModelBackend = {
      defaultRemote: this.#defaultRemote,
      run: async (graph, options: TraceOptions) => {
        const remote = options.remote ?? this.#defaultRemote;
        if (!remote) return runLocal(graph, options);
        if (file) await checkHosted();
        const decode = decoder(options);
        const handle = await this.submit(name, graph, options);
        return emitWarnings(
          await followGeneration(handle, options, await decode),
        );
      },
      submit: (graph, options) => this.submit(name, graph, options),
      tokenizer: () =>
        // Kept once loaded; a failed load is not kept, so the next call retries.
        (tokenizer ??= (async () => {
          if (file) {
            const engine = await this.#local.engine(file);
            if (engine.tokenizer) return engine.tokenizer;
          }
          const url =
            tokenizerUrl ??
            (
              await this.api.call(`reading model ${name}`, (t) =>
                t.models.manifest.query({ model: name }),
              )
            ).tokenizerUrl;
          if (!url)
            throw new LoupeClientError(
              "NOT_FOUND",
              `model ${name} has no tokenizer (it was registered without one)`,
            );
          const bytes = await this.api.download(
            url,
            `downloading the tokenizer of ${name}`,
          );
          return loadTokenizer(JSON.parse(new TextDecoder().decode(bytes)));
        })().catch((error: unknown) => {
          tokenizer = undefined;
          throw error;
        })),
    };
    return backend;
  }
}

function toGeneratedToken(e: TokenEvent): GeneratedToken {
  return {
    trace: e.trace,
    invoke: e.invoke,
    row: e.row,
    step: e.step,
    id: e.id,
    text: e.text ?? null,
  };
}

/** Where a model's files on this machine come from: given (modelFiles), or found by the hosted model's hash. */
type LocalFiles = { readonly given: string } | { readonly hash: string };

/**
 * Waits for a remote run's result; for a generation, passes each token the
 * server records to `onToken` (the status long poll answers at every step's
 * tokens) with its text, as a local run does (see generatedTokensOf), and
 * cancels the run when `cancel` aborts.
 */
async function followGeneration(
  handle: RunHandle,
  options: TraceOptions,
  decode: ((ids: readonly number[]) => string) | null,
): Promise<TraceResult> {
  const { onToken, cancel } = options;
  const seen = new Map<string, number>();
  const onStatus = (status: RunStatus) => {
    options.onStatus?.(status);
    for (const row of status.generated ?? []) {
      const key = `${row.trace}/${row.invoke}/${row.row}`;
      if (onToken)
        for (const token of generatedTokensOf(row, seen.get(key) ?? 0, decode))
          onToken(token);
      seen.set(key, row.ids.length);
    }
  };
  const onCancel = () => void handle.cancel().catch(() => undefined);
  if (cancel?.aborted) onCancel();
  cancel?.addEventListener("abort", onCancel, { once: true });
  try {
    // With no one to tell of steps or tokens, the server holds one request
    // until the run ends instead of answering at each step.
    return await handle.result(
      options.onStatus || onToken ? { ...options, onStatus } : options,
    );
  } finally {
    cancel?.removeEventListener("abort", onCancel);
  }
}

/** Whether a failed call may be sent again: nothing answered, or a gateway or overload answer. */
function retryable(error: unknown): boolean {
  if (error instanceof ServerUnreachableError) return true;
  const status = (
    (error as { cause?: { data?: { httpStatus?: number } } }).cause?.data ?? {}
  ).httpStatus;
  return status === 502 || status === 503 || status === 504;
}

/** Runs `call`, again after a retryable failure (5 tries, backing off 0.5, 1, 2, 4 s). */
async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 5 || !retryable(error)) throw error;
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
    }
  }
}

/** A run's warnings, as process warnings (once each), for scripts that never read `result.warnings`. */
function emitWarnings(result: TraceResult): TraceResult {
  for (const warning of result.warnings)
    process.emitWarning(warning, { code: "LOUPE_RUN_WARNING" });
  return result;
}
