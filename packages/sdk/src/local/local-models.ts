import path from "node:path";
import { findModelFile, type HostedModelId } from "./find-model-file.ts";
import { loadEngine, type LocalEngine } from "./load-engine.ts";

/** An engine running one model in this process. */
export type LocalModelEngine = Awaited<
  ReturnType<LocalEngine["loadModelFiles"]>
>;

/**
 * The models this process runs itself, one engine per model file, loaded on
 * first use (with the engine package, an optional dependency) and kept for
 * the next trace: loading compiles ONNX Runtime sessions, which takes a while.
 */
export class LocalModels {
  readonly #engines = new Map<string, Promise<LocalModelEngine>>();

  constructor(private readonly load: () => Promise<LocalEngine> = loadEngine) {}

  engine(onnxPath: string): Promise<LocalModelEngine> {
    const key = path.resolve(onnxPath);
    let engine = this.#engines.get(key);
    if (!engine) {
      engine = this.load().then((m) => m.loadModelFiles(key));
      // A failed load is not kept: the next trace tries again.
      const loading = engine;
      loading.catch(() => {
        if (this.#engines.get(key) === loading) this.#engines.delete(key);
      });
      this.#engines.set(key, engine);
    }
    return engine;
  }

  /** The model file on this machine with a hosted model's hash (see findModelFile), or undefined. */
  async find(
    model: HostedModelId,
    cacheDir: string,
  ): Promise<string | undefined> {
    return findModelFile(await this.load(), model, cacheDir);
  }

  async close(): Promise<void> {
    const engines = [...this.#engines.values()];
    this.#engines.clear();
    for (const engine of engines)
      await engine.then((e) => e.close()).catch(() => undefined);
  }
}
