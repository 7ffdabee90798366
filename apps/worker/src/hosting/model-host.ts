import {
  fetchS3ModelFolder,
  recordModelHosting,
  type RunRequestListener,
  type Database,
  type ModelSource,
  type ResultStorage,
  type S3Connection,
  type WorkerMemory,
} from "@loupe/db";
import {
  readImportedManifest,
  readModelSize,
  type EngineThread,
} from "@loupe/engine";
import { modelTaskQueue } from "@loupe/workflows";
import type { Client } from "@temporalio/client";
import { Worker, type NativeConnection } from "@temporalio/worker";
import {
  createBatchActivities,
  LocalBatches,
  StoredGraphCache,
  type BatchHooks,
  type HostedModel,
} from "../models/batch-activities.ts";
import type { BatchOptions } from "../models/fit-batch.ts";
import { RunDispatcher } from "../models/run-dispatcher.ts";
import { workflowSource } from "../workflow-source.ts";
import { registerHostedModel } from "../models/register-hosted-model.ts";
import { admitModel } from "./admit-model.ts";
import { engineMemoryOf } from "./engine-memory.ts";
import { startModelEngine } from "./start-model-engine.ts";

/** What hosting models needs from the worker process. */
export interface ModelHostDeps {
  readonly db: Database;
  readonly connection: NativeConnection;
  /** Starts the batch workflows of the runs this worker claims. */
  readonly client: Client;
  /** Wakes a model's dispatcher when runs of it are requested. */
  readonly listener: RunRequestListener;
  readonly namespace: string;
  readonly workerId: string;
  /** LOUPE_WORKER_MEMORY_BYTES: the weight bytes this worker may hold (null: no limit). */
  readonly budgetBytes: number | null;
  readonly results: ResultStorage;
  /** How the model's dispatcher fills a batch (its rows and padded tokens). */
  readonly batch: BatchOptions;
  /** Tests' observation points of each batch (see BatchHooks); none in production. */
  readonly batchHooks?: BatchHooks;
  /** For models hosted from S3: the store, and where their files are fetched to. */
  readonly s3: S3Connection;
  readonly cacheDir: string;
  /** LOUPE_WEIGHTS_DIR: where engines write the weights of exports that keep them inline. */
  readonly weightsDir?: string;
  readonly log: (line: string) => void;
}

/** A model the worker hosts now: its engine and the Temporal worker polling its queue. */
interface Slot {
  readonly model: HostedModel;
  /** The host request it answers (null: the worker's LOUPE_MODELS). */
  readonly requestId: string | null;
  readonly weightBytes: number;
  readonly worker: Worker;
  readonly dispatcher: RunDispatcher;
  readonly running: Promise<void>;
  stopping: boolean;
}

/** A request to host one model. */
export interface HostRequest {
  readonly name: string;
  readonly source: ModelSource;
  /** null: from the worker's LOUPE_MODELS (no administrator's request). */
  readonly requestId: string | null;
}

/** How a host request ended on this worker. */
export type HostOutcome = "online" | "refused" | "failed";

const LOADING_REPORT_MS = 1000;

/**
 * The models this worker hosts, added and removed while it runs. Hosting a
 * model checks it against the memory budget before reading it (refused:
 * `model.refused` with the bytes), starts its engine thread, registers it,
 * and starts a Temporal worker on its task queue; each step's state is an
 * event on the model's stream. Unhosting stops that Temporal worker (runs in
 * flight finish or are cancelled) and closes the engine thread, which frees
 * its memory. A model that fails to load is reported and cleaned up, never
 * thrown: the worker's other models go on.
 */
export class ModelHost {
  readonly #slots = new Map<string, Slot>();
  /** Bytes admitted for models still loading. */
  #reserved = 0;

  constructor(private readonly deps: ModelHostDeps) {}

  has(name: string): boolean {
    return this.#slots.has(name);
  }

  /** The host request a hosted model answers (null: LOUPE_MODELS). */
  requestOf(name: string): string | null | undefined {
    return this.#slots.get(name)?.requestId;
  }

  names(): string[] {
    return [...this.#slots.keys()].sort();
  }

  taskQueues(): string[] {
    return this.names().map(modelTaskQueue);
  }

  /** The budget, what the hosted models take of it, and each engine's memory. */
  memory(): WorkerMemory {
    const models: WorkerMemory["models"] = {};
    for (const [name, slot] of this.#slots) {
      const memory = engineMemoryOf(slot.model.engine);
      if (memory) models[name] = memory;
    }
    return {
      budgetBytes: this.deps.budgetBytes,
      admittedBytes: this.#admittedBytes(),
      models,
    };
  }

  #admittedBytes(): number {
    let bytes = this.#reserved;
    for (const slot of this.#slots.values()) bytes += slot.weightBytes;
    return bytes;
  }

  /**
   * Hosts a model: admission, engine, registration, its task queue. Resolves
   * with how it ended (the reason is in the model's stream and the log).
   */
  async host(request: HostRequest): Promise<HostOutcome> {
    const { db, workerId, log } = this.deps;
    const { name, requestId } = request;
    if (this.#slots.has(name)) return "online";
    const base = { name, requestId, workerId };
    const failed = async (error: unknown): Promise<HostOutcome> => {
      const reason = `loading model ${name} from ${describeSource(request.source)} failed: ${error instanceof Error ? error.message : String(error)}`;
      log(`[worker] ${reason}`);
      await recordModelHosting(db, {
        type: "model.failed",
        payload: { ...base, reason },
      }).catch((e: unknown) =>
        log(`[worker] recording ${reason}: ${String(e)}`),
      );
      return "failed";
    };

    let onnxPath: string;
    let meta: Awaited<ReturnType<typeof readImportedManifest>>;
    let weightBytes: number;
    try {
      onnxPath = await this.#localFiles(request);
      meta = await readImportedManifest(onnxPath);
      if (meta.manifest.model.name !== name)
        throw new Error(
          `its manifest names the model "${meta.manifest.model.name}", not "${name}" (host it under that name, or import it again with --name ${name})`,
        );
      weightBytes = (await readModelSize(onnxPath)).weightBytes;
    } catch (error) {
      return failed(error);
    }

    const admission = admitModel(name, weightBytes, {
      budgetBytes: this.deps.budgetBytes,
      admittedBytes: this.#admittedBytes(),
    });
    if (!admission.ok) {
      log(`[worker] refused: ${admission.message}`);
      await recordModelHosting(db, {
        type: "model.refused",
        payload: {
          ...base,
          reason: admission.message,
          neededBytes: admission.neededBytes,
          availableBytes: admission.availableBytes,
        },
      });
      return "refused";
    }

    this.#reserved += weightBytes;
    let reserved = true;
    let engine: EngineThread | undefined;
    let secondsPerToken: number;
    try {
      await recordModelHosting(db, {
        type: "model.loading",
        payload: { ...base, loadedBytes: 0, totalBytes: weightBytes },
      });
      // The engine gets what the budget leaves beside the other models'
      // weights: its own weights, its sessions and its batches fit in it.
      const budget = this.deps.budgetBytes;
      engine = await startModelEngine(onnxPath, {
        ...(budget === null
          ? {}
          : {
              memoryBudgetBytes: budget - this.#admittedBytes() + weightBytes,
            }),
        ...(this.deps.weightsDir ? { weightsDir: this.deps.weightsDir } : {}),
      });
      // Its weights are in (mapped); what is left is registration and the queue.
      await recordModelHosting(db, {
        type: "model.loading",
        payload: { ...base, loadedBytes: weightBytes, totalBytes: weightBytes },
      });
      const model: HostedModel = { name, manifest: meta.manifest, engine };
      ({ secondsPerToken } = await registerHostedModel(db, model, {
        results: this.deps.results,
        tokenizer: meta.tokenizer,
      }));
      const graphs = new StoredGraphCache(db);
      const local = new LocalBatches();
      const worker = await Worker.create({
        connection: this.deps.connection,
        namespace: this.deps.namespace,
        taskQueue: modelTaskQueue(name),
        identity: workerId,
        // Unhosting waits this long for the batch in flight.
        shutdownGraceTime: "10 seconds",
        // Batch workflows run here, on a worker hosting the model, and their
        // batch as a local activity of their workflow task.
        ...workflowSource(),
        activities: createBatchActivities({
          db,
          model,
          workerId,
          graphs,
          local,
          results: this.deps.results,
          ...(this.deps.batchHooks ? { hooks: this.deps.batchHooks } : {}),
        }),
      });
      const dispatcher = new RunDispatcher(
        {
          db,
          client: this.deps.client,
          listener: this.deps.listener,
          model: name,
          workerId,
          graphs,
          local,
          // The client is on this worker's connection (main.ts).
          eagerStart: true,
          log,
        },
        { batch: this.deps.batch },
      );
      const slot: Slot = {
        model,
        requestId,
        weightBytes,
        worker,
        dispatcher,
        running: worker.run(),
        stopping: false,
      };
      // From here the slot holds the bytes the reservation held.
      this.#reserved -= weightBytes;
      reserved = false;
      this.#slots.set(name, slot);
      engine = undefined;
      void slot.running.catch((error: unknown) =>
        this.#lost(name, slot, error),
      );
      await dispatcher.start();
    } catch (error) {
      if (reserved) this.#reserved -= weightBytes;
      await engine?.close().catch(() => undefined);
      return failed(error);
    }
    await recordModelHosting(db, {
      type: "model.online",
      payload: { ...base, source: request.source, weightBytes },
    }).catch((error: unknown) =>
      log(`[worker] recording model ${name} online: ${String(error)}`),
    );
    log(
      `[worker] hosting model ${name} from ${onnxPath} (${(secondsPerToken * 1e3).toFixed(3)} ms per token)`,
    );
    return "online";
  }

  /**
   * Stops hosting a model: its task queue is no longer polled (runs in
   * flight get the grace time), its engine thread is closed, and
   * `model.unloaded` is recorded. False when it was not hosted here.
   */
  async unhost(name: string): Promise<boolean> {
    const slot = this.#slots.get(name);
    if (!slot || slot.stopping) return false;
    slot.stopping = true;
    // No more claims; the batch in flight ends first.
    await slot.dispatcher.stop();
    if (slot.worker.getState() === "RUNNING") slot.worker.shutdown();
    await slot.running.catch(() => undefined);
    await slot.model.engine
      .close()
      .catch((error: unknown) =>
        this.deps.log(
          `[worker] closing the engine of model ${name}: ${String(error)}`,
        ),
      );
    this.#slots.delete(name);
    // The main thread's share of the model (its manifest, the activities'
    // closures, results on their way) is garbage now: collect it at once
    // where the process allows (node --expose-gc), so its memory is returned
    // with the engine's rather than whenever V8 next collects.
    (globalThis as { gc?: () => void }).gc?.();
    await recordModelHosting(this.deps.db, {
      type: "model.unloaded",
      payload: {
        name,
        workerId: this.deps.workerId,
        freedBytes: slot.weightBytes,
      },
    });
    this.deps.log(`[worker] unhosted model ${name}`);
    return true;
  }

  /** Unhosts every model (the worker is stopping); records nothing if the database is gone. */
  async close(): Promise<void> {
    await Promise.all(
      this.names().map((name) => this.unhost(name).catch(() => undefined)),
    );
  }

  /** A model's Temporal worker stopped on its own (not unhosted): close it and say so. */
  async #lost(name: string, slot: Slot, error: unknown): Promise<void> {
    if (slot.stopping) return;
    slot.stopping = true;
    this.#slots.delete(name);
    await slot.dispatcher.stop().catch(() => undefined);
    await slot.model.engine.close().catch(() => undefined);
    const reason = `model ${name} stopped on this worker: its Temporal worker failed: ${error instanceof Error ? error.message : String(error)}`;
    this.deps.log(`[worker] ${reason}`);
    await recordModelHosting(this.deps.db, {
      type: "model.failed",
      payload: {
        name,
        requestId: slot.requestId,
        workerId: this.deps.workerId,
        reason,
      },
    }).catch(() => undefined);
  }

  /** The model's .onnx on this machine: the path itself, or its folder fetched from S3. */
  async #localFiles(request: HostRequest): Promise<string> {
    const { source } = request;
    if (source.kind === "path") return source.path;
    let last = 0;
    // Reports are appended in order, and all of them before the caller goes on.
    let reports = Promise.resolve();
    const report = (loadedBytes: number, totalBytes: number) => {
      const now = Date.now();
      if (now - last < LOADING_REPORT_MS && loadedBytes < totalBytes) return;
      last = now;
      reports = reports.then(() =>
        recordModelHosting(this.deps.db, {
          type: "model.loading",
          payload: {
            name: request.name,
            requestId: request.requestId,
            workerId: this.deps.workerId,
            loadedBytes,
            totalBytes,
          },
        }).catch(() => undefined),
      );
    };
    try {
      return await fetchS3ModelFolder(
        this.deps.s3,
        source.url,
        this.deps.cacheDir,
        report,
      );
    } finally {
      await reports;
    }
  }
}

/** "/models/gpt2/model.onnx" or "s3://bucket/models/gpt2/model.onnx". */
export function describeSource(source: ModelSource): string {
  return source.kind === "path" ? source.path : source.url;
}
