import "server-only";
import { openModelTokenizer, openRunResult, type Principal } from "@loupe/api";
import {
  fromSafetensors,
  loadTokenizer,
  manifestSchema,
  parseGraphOrThrow,
  type TextTokenizer,
} from "@loupe/graph";
import { readAll } from "@/results/read-all";
import { buildResultViews, type ResultView } from "@/results/result-views";
import { getApiServices } from "./api-services";

/** Results larger than this are offered for download only, not drawn. */
const MAX_DRAWN_BYTES = 64 * 1024 ** 2;

// Tokenizers by model and tokenizer hash: a model re-registered with another
// tokenizer gets a fresh one.
const tokenizers = new Map<string, Promise<TextTokenizer | null>>();

async function tokenizerOf(
  model: string,
  tokenizerHash: string | null,
): Promise<TextTokenizer | null> {
  const { db, results } = getApiServices();
  if (!tokenizerHash) return null;
  const key = `${model}@${tokenizerHash}`;
  if (!tokenizers.has(key))
    tokenizers.set(
      key,
      openModelTokenizer(db, results, model)
        .then(readAll)
        .then((bytes) =>
          loadTokenizer(JSON.parse(Buffer.from(bytes).toString("utf8"))),
        )
        .catch(() => {
          tokenizers.delete(key);
          return null;
        }),
    );
  return tokenizers.get(key)!;
}

/**
 * The prompt that labels a "position" axis, one string per token: that of the
 * invoke saving the first value with a `position` axis (a sweep saves in a
 * corrupted-prompt invoke), else the first invoke's.
 */
function promptTokens(graphDocument: unknown, tokenizer: TextTokenizer | null) {
  try {
    const graph = parseGraphOrThrow(graphDocument);
    const saver = graph.nodes.find(
      (n) => n.op === "save" && /\[[^\]]*\bposition\b[^\]]*\]$/.test(n.name),
    );
    const invoke =
      saver && graph.traces[saver.trace]?.invokes[saver.invoke]?.input
        ? graph.traces[saver.trace]!.invokes[saver.invoke]
        : graph.traces[0]?.invokes.find((i) => i.input);
    const input = invoke?.input;
    if (!input || !tokenizer) return undefined;
    const ids =
      input.kind === "tokens"
        ? input.ids[0]!
        : tokenizer.encode(input.prompts[0]!);
    return ids.map((id) => tokenizer.decode([id]));
  } catch {
    return undefined;
  }
}

export type RunResultViews =
  | { kind: "views"; views: ResultView[]; byteSize: number }
  | { kind: "too-large"; byteSize: number };

/**
 * A completed run's saved values as the views the run page draws, for a
 * principal who may read the run (otherwise the API's NOT_FOUND). Token ids
 * are decoded with the model's own tokenizer.
 */
export async function loadRunResultViews(
  principal: Principal | null,
  run: {
    runId: string;
    /** The run's model as `models.manifest` answers it. */
    model: { name: string; manifest: unknown; tokenizerHash: string | null };
    graph: unknown;
  },
): Promise<RunResultViews> {
  const { db, results } = getApiServices();
  const result = await openRunResult(db, results, principal, run.runId);
  if (result.byteSize > MAX_DRAWN_BYTES)
    return { kind: "too-large", byteSize: result.byteSize };
  const { tensors } = fromSafetensors(await readAll(result.chunks));
  const { model } = run;
  const tokenizer = await tokenizerOf(model.name, model.tokenizerHash);
  return {
    kind: "views",
    byteSize: result.byteSize,
    // Charts and tables first, plain summaries (scalars and the like) after.
    views: buildResultViews(tensors, {
      vocabSize: vocabSizeOf(model.manifest),
      ...(tokenizer && { decode: (ids: number[]) => tokenizer.decode(ids) }),
      promptTokens: promptTokens(run.graph, tokenizer),
    }).sort(
      (a, b) => Number(a.kind === "tensor") - Number(b.kind === "tensor"),
    ),
  };
}

/** The last dim of the root module's logits output, when the manifest says so. */
function vocabSizeOf(stored: unknown): number | undefined {
  const parsed = manifestSchema.safeParse(stored);
  if (!parsed.success) return undefined;
  const outputs = parsed.data.modules.find((m) => m.path === "")?.calls[0]
    ?.outputs;
  const last = (
    outputs?.find((o) => o.label === "logits") ?? outputs?.[0]
  )?.shape.at(-1);
  return typeof last === "number" ? last : undefined;
}
