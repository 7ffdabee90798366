import type * as ort from "onnxruntime-node";
import {
  GraphValidationError,
  modelHashOf,
  tokenLimitBreach,
  type Graph,
  type Manifest,
  type SavedTensor,
  type TextTokenizer,
  type TokenLimits,
} from "@loupe/graph";
import type { RunRequest } from "../engine.ts";
import type { ModelPlan } from "../model/model-plan.ts";
import { readWeight } from "../weights/read-weight.ts";
import type { PreparedGraph, RunUsage } from "./batch-step.ts";
import { constantTensor, fromSaved, transpose2d } from "./tensors.ts";

/** The loaded model a graph is prepared for. */
export interface PreparingModel {
  readonly plan: ModelPlan;
  readonly manifest: Manifest;
  readonly tokenizer: TextTokenizer | undefined;
  /** The folder the model's weights are mapped from (a `param` reads its weight there). */
  readonly weightsFolder: string;
  readonly tokenLimits: () => TokenLimits;
}

const noUsage = (): RunUsage => ({
  forwardPasses: 0,
  rows: 0,
  tokens: 0,
  computeSeconds: 0,
});

/**
 * A checked graph ready to run on the model: its leaf values (constants,
 * tensors sent with it, parameters read from the weights) and its prompts
 * tokenized. Throws GraphValidationError for a graph checked against another
 * model, a tensor without data, or tokens the model cannot take; it is not
 * validated again (see `LoupeEngine.check`).
 */
export function prepareGraph(
  request: RunRequest,
  model: PreparingModel,
): PreparedGraph {
  const { checked } = request;
  const { graph } = checked;
  // Checked once, against this model: never validated again here.
  const hash = modelHashOf(model.manifest);
  if (checked.modelHash !== hash)
    throw graphError(
      `the graph was checked against model ${checked.modelHash}, and this engine runs ${hash}: check it against this model`,
    );
  const values = leafValues(graph, request.tensors, model);
  const tokens = tokenize(graph, model.tokenizer);
  // The model's vocabulary and positions, checked here too (the API checks
  // them at submit): a local run's bad token fails by name, not in a Gather.
  const breach = tokenLimitBreach(
    model.manifest.model.name,
    model.tokenLimits(),
    tokenSize(graph, tokens),
  );
  if (breach) throw graphError(breach.message);
  if (
    graph.traces.some((t) => t.generate?.stop?.text?.length) &&
    !model.tokenizer
  )
    throw graphError(
      "the graph stops generation at a text, but this model was loaded without a tokenizer (stop at token ids instead)",
    );
  return {
    graph,
    types: checked.types,
    values,
    saves: {},
    tokens,
    usage: noUsage(),
    generated: [],
    warnings: [],
    ...(request.signal ? { signal: request.signal } : {}),
  };
}

/** A graph that failed before it ran: its result is its error. */
export function failedGraph(graph: Graph, error: Error): PreparedGraph {
  return {
    graph,
    types: new Map(),
    values: new Map(),
    saves: {},
    tokens: [],
    usage: noUsage(),
    generated: [],
    warnings: [],
    error,
  };
}

/** A problem of the whole graph, as the validator reports one. */
function graphError(message: string): GraphValidationError {
  return new GraphValidationError([{ nodeId: "", op: "trace", message }]);
}

/** The values of the graph's constants, `tensor` inputs (sent with the request) and parameters, by `v:<id>`. */
function leafValues(
  graph: Graph,
  tensors: Readonly<Record<string, SavedTensor>> | undefined,
  { plan, weightsFolder }: PreparingModel,
): Map<string, ort.Tensor> {
  const values = new Map<string, ort.Tensor>();
  for (const node of graph.nodes) {
    if (node.op === "constant")
      values.set(
        `v:${node.id}`,
        constantTensor(node.dtype, node.shape, node.data),
      );
    else if (node.op === "tensor") {
      const t = tensors?.[node.name];
      if (!t)
        throw new GraphValidationError([
          {
            nodeId: node.id,
            op: node.op,
            message: `node ${node.id} (tensor): no data was sent for tensor "${node.name}"`,
          },
        ]);
      values.set(`v:${node.id}`, fromSaved(t));
    } else if (node.op === "param") {
      const spec = plan.index.module(node.module)!;
      const param = spec.params.find((p) => p.name === node.name)!;
      const weight = readWeight(
        plan.initializers.get(param.tensor)!,
        weightsFolder,
      );
      values.set(
        `v:${node.id}`,
        param.transpose ? transpose2d(weight) : weight,
      );
    }
  }
  return values;
}

/** Token ids per trace, invoke and prompt (null: an invoke without input). */
function tokenize(
  graph: Graph,
  tokenizer: TextTokenizer | undefined,
): PreparedGraph["tokens"] {
  return graph.traces.map((trace) =>
    trace.invokes.map((invoke) => {
      if (!invoke.input) return null;
      if (invoke.input.kind === "tokens") return invoke.input.ids;
      if (!tokenizer)
        throw graphError(
          "the graph has text prompts but this model was loaded without a tokenizer",
        );
      return invoke.input.prompts.map((p) => {
        const ids = tokenizer.encode(p);
        if (ids.length === 0)
          throw graphError(`prompt ${JSON.stringify(p)} has no tokens`);
        return ids;
      });
    }),
  );
}

/**
 * A run's largest token id and longest row: its prompt plus each generated
 * token fed back (all but the last), per trace.
 */
function tokenSize(
  graph: Graph,
  tokens: readonly (readonly (readonly (readonly number[])[] | null)[])[],
): { maxTokenId: number; longestRow: number } {
  let maxTokenId = -1;
  let longestRow = 0;
  graph.traces.forEach((trace, t) => {
    const grows = Math.max(0, (trace.generate?.maxNewTokens ?? 0) - 1);
    for (const rows of tokens[t] ?? [])
      for (const row of rows ?? []) {
        for (const id of row) if (id > maxTokenId) maxTokenId = id;
        longestRow = Math.max(longestRow, row.length + grows);
      }
  });
  return { maxTokenId, longestRow };
}
