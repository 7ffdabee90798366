import type { ScopedModel } from "./onnx-bytes.ts";

/** The node metadata key under which torch's dynamo exporter writes module scopes. */
export const NAME_SCOPES_KEY = "pkg.torch.onnx.name_scopes";

/** One call of a module, by path and call index (0 for the first call). */
export interface ScopeKey {
  readonly path: string;
  readonly call: number;
}

/** Which module calls each node of an export runs inside, as a scope reader found them. */
export interface NodeScopes {
  /** Per node, in the model's node order: the calls containing it, the model ("") first. */
  readonly chains: readonly (readonly ScopeKey[])[];
  /** Modules the reader found but cannot delimit, with the reason; the tree leaves them out. */
  readonly unresolved: readonly { path: string; reason: string }[];
  /** Sizes of the graph inputs computed once for the whole graph: no module's input. */
  readonly symbolicSizes?: ReadonlySet<string>;
}

/** Raised when a node's scope metadata is not the list of names the dynamo exporter writes. */
export class ScopeMetadataError extends Error {
  override readonly name = "ScopeMetadataError";
  readonly code = "SCOPE_METADATA_INVALID";
  constructor(
    readonly nodeName: string,
    readonly actual: string,
  ) {
    super(
      `node "${nodeName}": metadata ${NAME_SCOPES_KEY} should be a Python list of strings like ['', 'transformer', 'view_1'], got ${JSON.stringify(actual)}`,
    );
  }
}

const ROOT: ScopeKey = Object.freeze({ path: "", call: 0 });
const NOT_CONTIGUOUS =
  "its nodes are not contiguous in the graph: dynamo metadata names every call of a module alike, so a module called more than once cannot be split into calls";
const UNPLACED_NEIGHBOUR =
  "it exchanges tensors with a node that has no scope metadata (the exporter's optimizer makes such nodes: export with optimize=False), so where the module ends is unknown";

/** Whether any node carries dynamo scope metadata (torch.onnx.export(dynamo=True)). */
export function hasDynamoScopes(model: ScopedModel): boolean {
  return model.nodes.some((n) => NAME_SCOPES_KEY in n.metadata);
}

/**
 * Reads module scopes from the node metadata of a dynamo export. Each node's
 * `pkg.torch.onnx.name_scopes` lists the module paths of torch.export's
 * nn_module_stack, outermost first (`['', 'transformer', 'transformer.h.0',
 * 'transformer.h.0.mlp', 'view_10']`: the model, each module by its full path,
 * then the FX node). Nodes without it belong to the model alone, and so do
 * nodes made by a torch.export pass (`['_empty_nn_module_stack_from_metadata_hook',
 * 'sym_size_int_38']`): they compute the graph inputs' batch and sequence sizes
 * once, for every module, so their outputs are listed as `symbolicSizes`.
 *
 * The exporter writes no call index (torch.export's `@1` keys are dropped), so a
 * module is read as one call when its nodes are contiguous; otherwise it is
 * unresolved. So is every module that exchanges a tensor with a node without
 * metadata: such a node (the onnxscript optimizer's fused Gemm, say) may belong
 * to it. Limit: a module called twice back to back, with nothing between the
 * calls, reads as a single call.
 */
export function readDynamoScopes(model: ScopedModel): NodeScopes {
  const symbolicSizes = new Set<string>();
  const chains = model.nodes.map((node): readonly ScopeKey[] => {
    const raw = node.metadata[NAME_SCOPES_KEY];
    if (raw === undefined) return [ROOT];
    const names = parsePythonStrings(raw);
    if (!names?.length) throw new ScopeMetadataError(node.name, raw);
    if (names[0] !== "") {
      node.output.forEach((t) => symbolicSizes.add(t));
      return [ROOT];
    }
    const paths = [...new Set(names.slice(1, -1))].filter((p) => p !== "");
    return [ROOT, ...paths.map((path) => ({ path, call: 0 }))];
  });

  const seen = new Map<
    string,
    { first: number; last: number; count: number }
  >();
  chains.forEach((chain, index) => {
    for (const { path } of chain) {
      const s = seen.get(path) ?? { first: index, last: index, count: 0 };
      s.last = index;
      s.count += 1;
      seen.set(path, s);
    }
  });
  const reasons = new Map<string, string>();
  for (const index of neighboursOfUnplaced(model))
    for (const { path } of chains[index]!)
      if (path !== "") reasons.set(path, UNPLACED_NEIGHBOUR);
  for (const [path, s] of seen)
    if (s.last - s.first + 1 !== s.count && !reasons.has(path))
      reasons.set(path, NOT_CONTIGUOUS);
  const unresolved = [...seen.keys()]
    .filter((path) => reasons.has(path))
    .map((path) => ({ path, reason: reasons.get(path)! }));
  return { chains, unresolved, symbolicSizes };
}

/** Nodes with metadata that produce a tensor a node without it consumes, or consume one it produces. */
function neighboursOfUnplaced(model: ScopedModel): Set<number> {
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  model.nodes.forEach((n, i) => {
    n.output.forEach((t) => producer.set(t, i));
    n.input.forEach((t) => consumers.set(t, [...(consumers.get(t) ?? []), i]));
  });
  const neighbours = new Set<number>();
  for (const n of model.nodes) {
    if (NAME_SCOPES_KEY in n.metadata) continue;
    for (const t of n.input) {
      const p = producer.get(t);
      if (p !== undefined) neighbours.add(p);
    }
    for (const t of n.output)
      (consumers.get(t) ?? []).forEach((c) => neighbours.add(c));
  }
  return new Set(
    [...neighbours].filter((i) => NAME_SCOPES_KEY in model.nodes[i]!.metadata),
  );
}

const HEX_DIGITS: Partial<Record<string, number>> = { x: 2, u: 4, U: 8 };
const ESCAPES: Partial<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
};

/** Parses Python's repr of a list of str (`['', "it's"]`); undefined if it is not one. */
export function parsePythonStrings(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const skipSpaces = () => {
    while (text[i] === " ") i++;
  };
  skipSpaces();
  if (text[i++] !== "[") return undefined;
  skipSpaces();
  if (text[i] === "]") return text.slice(i + 1).trim() === "" ? [] : undefined;
  for (;;) {
    const quote = text[i++];
    if (quote !== "'" && quote !== '"') return undefined;
    let value = "";
    while (i < text.length && text[i] !== quote) {
      if (text[i] !== "\\") {
        value += text[i++];
        continue;
      }
      const c = text[i + 1] ?? "";
      const hex = HEX_DIGITS[c];
      const escaped = ESCAPES[c];
      if (hex !== undefined) {
        const code = Number.parseInt(text.slice(i + 2, i + 2 + hex), 16);
        if (Number.isNaN(code)) return undefined;
        value += String.fromCodePoint(code);
        i += 2 + hex;
      } else if (escaped !== undefined) {
        value += escaped;
        i += 2;
      } else return undefined;
    }
    if (text[i++] !== quote) return undefined;
    out.push(value);
    skipSpaces();
    const next = text[i++];
    if (next === "]") return text.slice(i).trim() === "" ? out : undefined;
    if (next !== ",") return undefined;
    skipSpaces();
  }
}
