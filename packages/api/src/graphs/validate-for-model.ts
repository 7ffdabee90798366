import type { Database, ResultStorage } from "@loupe/db";
import {
  hashGraph,
  hasTextPrompts,
  loadTokenizer,
  locateIssues,
  manifestSchema,
  parseGraph,
  promptLengths,
  serializeGraph,
  tokenLimits,
  validateGraph,
  DEFAULT_LIMITS,
  type Graph,
  type GraphLimits,
  type GraphSources,
  type Manifest,
  type TextTokenizer,
  type TokenLimits,
  type ValidationInputs,
  type ValueType,
} from "@loupe/graph";
import { LoupeError, notFound } from "../errors/loupe-error.ts";

/** A hosted model as a check needs it (cached per model hash: parsed once). */
export interface CheckedModel {
  readonly name: string;
  readonly hash: string;
  readonly manifest: Manifest;
  readonly secondsPerToken: number;
  readonly tokens: TokenLimits;
  /** Loads the model's tokenizer (once), or undefined when it has none. */
  readonly tokenizer: () => Promise<TextTokenizer | undefined>;
}

/** A graph checked against a hosted model: ready to commit or to queue. */
export interface CheckedGraph {
  readonly graph: Graph;
  /** The graph as stored (the loupe.graph JSON document). */
  readonly document: Record<string, unknown>;
  /** The canonical JSON of the graph: what graphHash covers, stored once. */
  readonly json: string;
  readonly graphHash: string;
  /** Every value's type on the model, as validation inferred them. */
  readonly types: ReadonlyMap<string, ValueType | null>;
  readonly model: CheckedModel;
  /** Where the script made each node, when the request said. */
  readonly sources?: GraphSources;
}

/**
 * Parses a graph document and validates it against a registered model's
 * manifest (module paths, shapes, dtypes, index bounds, size limits), before
 * anything is stored or queued. Text prompts are tokenized first, when the
 * model has a tokenizer, so an index past a prompt's tokens is refused here.
 * A bad graph is BAD_REQUEST with every issue (`data.loupe.issues`), naming
 * the node, its module path, what is wrong and, given the script's
 * `sources`, the line that made the node. `limits` are
 * validation's size limits (a run's submit enforces the user's own, by name,
 * in enforceRunLimits, and passes none here).
 */
export async function checkGraphForModel(
  db: Database,
  modelName: string,
  document: unknown,
  options: {
    results?: ResultStorage;
    limits?: GraphLimits;
    sources?: GraphSources;
  } = {},
): Promise<CheckedGraph> {
  const model = await checkedModel(db, modelName, options.results);
  const parsed = parseGraph(document);
  if (!parsed.ok)
    throw new LoupeError(
      { code: "GRAPH_FORMAT", issues: parsed.issues },
      `invalid graph:\n${parsed.issues.map((i) => `  ${i.message}`).join("\n")}`,
    );
  const validation = validateGraph(
    parsed.value,
    model.manifest,
    options.limits ?? DEFAULT_LIMITS,
    await knownInputs(model, parsed.value),
  );
  if (!validation.ok) {
    const issues = locateIssues(validation.issues, options.sources);
    throw new LoupeError(
      { code: "GRAPH_INVALID", issues },
      `graph does not fit model ${modelName}:\n${issues.map((i) => `  ${i.message}`).join("\n")}`,
    );
  }
  const json = serializeGraph(parsed.value);
  return {
    graph: parsed.value,
    document: JSON.parse(json) as Record<string, unknown>,
    json,
    graphHash: hashGraph(parsed.value),
    types: validation.types,
    model,
    ...(options.sources && { sources: options.sources }),
  };
}

/** The sequence lengths of the graph's text invokes, when the model has a tokenizer (as the engine will tokenize them). */
async function knownInputs(
  model: CheckedModel,
  graph: Graph,
): Promise<ValidationInputs> {
  if (!hasTextPrompts(graph)) return {};
  const tokenizer = await model.tokenizer();
  return tokenizer ? { promptLengths: promptLengths(graph, tokenizer) } : {};
}

const models = new Map<string, CheckedModel>();

/**
 * A registered model, read with one small query per check (its hash and cost)
 * and parsed once per hash: the manifest's schema parse and the tokenizer's
 * load are the expensive parts, and a model's files never change under a hash.
 */
async function checkedModel(
  db: Database,
  name: string,
  results: ResultStorage | undefined,
): Promise<CheckedModel> {
  // Raw SQL: on every submit's path (see findRun).
  const [found] = await db.sql.$queryRaw<
    { hash: string; seconds_per_token: number; tokenizer_hash: string | null }[]
  >`SELECT hash, seconds_per_token, tokenizer_hash FROM models WHERE name = ${name}`;
  if (!found) throw notFound(`model ${name}`);
  const row = {
    hash: found.hash,
    secondsPerToken: found.seconds_per_token,
    tokenizerHash: found.tokenizer_hash,
  };
  const key = `${name}\u0000${row.hash}`;
  const cached = models.get(key);
  if (cached) return { ...cached, secondsPerToken: row.secondsPerToken };
  const full = await db.model.findUniqueOrThrow({
    where: { name },
    select: { manifest: true },
  });
  const manifest = manifestSchema.parse(full.manifest);
  let tokenizer: Promise<TextTokenizer | undefined> | undefined;
  const model: CheckedModel = {
    name,
    hash: row.hash,
    manifest,
    secondsPerToken: row.secondsPerToken,
    tokens: tokenLimits(manifest),
    tokenizer: () =>
      (tokenizer ??= loadModelTokenizer(row.tokenizerHash, results).catch(
        (error: unknown) => {
          tokenizer = undefined;
          throw error;
        },
      )),
  };
  for (const k of models.keys())
    if (k.startsWith(`${name}\u0000`)) models.delete(k);
  models.set(key, model);
  return model;
}

async function loadModelTokenizer(
  hash: string | null,
  results: ResultStorage | undefined,
): Promise<TextTokenizer | undefined> {
  if (!hash || !results) return undefined;
  const parts: Uint8Array[] = [];
  for await (const part of results.read(hash)) parts.push(part);
  return loadTokenizer(JSON.parse(Buffer.concat(parts).toString("utf8")));
}
