/**
 * The worker-thread side of EngineThread: loads the model once, then runs
 * batches posted by the main thread. ONNX Runtime's `run` is synchronous native
 * work; here it blocks only this thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LoupeEngine } from "../engine.ts";
import { loadModelFiles } from "../import/load-model-files.ts";
import { loadTokenizer } from "@loupe/graph";
import type { ThreadInit, ThreadReply, ThreadRequest } from "./protocol.ts";
import { serializeError, transferablesOf } from "./protocol.ts";

const init = workerData as ThreadInit;
const port = parentPort!;
const engine =
  "path" in init
    ? await loadModelFiles(init.path, init.options)
    : await LoupeEngine.load(
        init.model,
        init.manifest,
        init.tokenizer ? loadTokenizer(init.tokenizer) : undefined,
        init.options,
      );

/** Each running run's per-graph cancellation. */
const running = new Map<number, AbortController[]>();

port.on("message", (message: ThreadRequest) => {
  if (message.type === "cancel") {
    running.get(message.run)?.[message.graph]?.abort();
    return;
  }
  void (async () => {
    let reply: ThreadReply;
    try {
      if (message.type === "run") {
        const controllers = message.requests.map(() => new AbortController());
        running.set(message.id, controllers);
        const results = await engine
          .runMany(
            message.requests.map((r, i) => ({
              ...r,
              signal: controllers[i]!.signal,
            })),
            message.stream
              ? {
                  onToken: (token) =>
                    port.postMessage({
                      id: message.id,
                      ok: true,
                      token,
                    } satisfies ThreadReply),
                }
              : {},
          )
          .finally(() => running.delete(message.id));
        reply = {
          id: message.id,
          ok: true,
          results: results.map((r) => ({
            saves: r.saves,
            usage: r.usage,
            generated: r.generated,
            warnings: r.warnings,
            ...(r.error ? { error: serializeError(r.error) } : {}),
          })),
          metrics: { ...engine.metrics },
        };
      } else {
        await engine.close();
        reply = {
          id: message.id,
          ok: true,
          results: [],
          metrics: { ...engine.metrics },
        };
      }
    } catch (error) {
      reply = { id: message.id, ok: false, error: serializeError(error) };
    }
    port.postMessage(reply, reply.ok ? transferablesOf(reply.results) : []);
  })();
});
port.postMessage({
  id: 0,
  ok: true,
  results: [],
  metrics: { ...engine.metrics },
  manifest: engine.manifest,
} satisfies ThreadReply);
