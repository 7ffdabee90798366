import {
  assertCheckedGraph,
  type CheckedGraph,
  type Graph,
  type Manifest,
} from "@loupe/graph";
import type { RunInput, RunOptions, RunRequest } from "../engine.ts";
import type { RunResult } from "./run-result.ts";

/**
 * What runs graphs on one model: LoupeEngine in this thread, EngineThread in
 * a worker thread. Both check graphs here, against the model's manifest, and
 * run one graph as a batch of one.
 */
export abstract class GraphRunner {
  /** The loaded model's manifest. */
  abstract readonly manifest: Manifest;

  /**
   * Runs several independent graphs in shared forward passes; each graph's
   * failure is its own result (see LoupeEngine.runMany).
   */
  abstract runMany(
    requests: readonly RunRequest[],
    options?: RunOptions,
  ): Promise<RunResult[]>;

  /**
   * Checks a graph against this model (validation: module paths, order,
   * shapes, types, index bounds), once: the form runMany takes. Throws
   * GraphValidationError listing every issue. Runs on the caller's thread.
   */
  check(graph: Graph): CheckedGraph {
    return assertCheckedGraph(graph, this.manifest);
  }

  /** Runs one graph, checking it first unless it is checked already; throws its error. */
  async run(request: RunInput, options: RunOptions = {}): Promise<RunResult> {
    const checked = toCheckedRequest(request, (graph) => this.check(graph));
    const [result] = await this.runMany([checked], options);
    if (result!.error) throw result!.error;
    return result!;
  }
}

/** Whatever `run` takes, as the checked request runMany takes (checking a graph with `check`). */
function toCheckedRequest(
  request: RunInput,
  check: (graph: Graph) => CheckedGraph,
): RunRequest {
  if ("checked" in request) return request;
  if ("types" in request) return { checked: request };
  if ("traces" in request) return { checked: check(request) };
  const { graph, ...rest } = request;
  return { ...rest, checked: check(graph) };
}
