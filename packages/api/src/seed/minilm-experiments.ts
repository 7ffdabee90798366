import {
  createModel,
  type Envoy,
  type Manifest,
  type TextTokenizer,
} from "@loupe/graph";
import type { DemoExperiment } from "./demo-experiments.ts";

/** The gallery title of the MiniLM attention example (seeding finds it by title). */
export const ATTENTION_TITLE =
  "Attention patterns of a real model: all-MiniLM-L6-v2 reads a sentence";

const SENTENCE = "The cat sat on the mat because it was tired.";
/** A self-attention module of a BERT layer: `[bert.]encoder.layer.<n>.attention.self`. */
const SELF_ATTENTION = /^(?:.*\.)?encoder\.layer\.(\d+)\.attention\.self$/;

/**
 * The gallery's examples on all-MiniLM-L6-v2 (models/minilm), a real
 * pretrained BERT encoder: every layer's attention probabilities, read inside
 * each self-attention module with `.source` (the output of its Softmax, before
 * dropout), saved as `[batch, head, query, key]` and drawn by the portal as
 * attention views.
 *
 * The sentence is given as token ids framed by `[CLS]` and `[SEP]`, as BERT
 * was trained (the tokenizer adds no special tokens). Layers are found in the
 * manifest by path, with or without the `bert.` prefix of the export.
 *
 * Throws when the manifest has no self-attention modules or the tokenizer no
 * `[CLS]`/`[SEP]` token, naming what is missing.
 */
export function minilmExperiments(
  manifest: Manifest,
  tokenizer: TextTokenizer,
): DemoExperiment[] {
  const layers = manifest.modules
    .map((m) => ({ path: m.path, match: SELF_ATTENTION.exec(m.path) }))
    .filter((m) => m.match !== null)
    .map((m) => ({ path: m.path, layer: Number(m.match![1]) }))
    .sort((a, b) => a.layer - b.layer);
  if (layers.length === 0)
    throw new Error(
      `${manifest.model.name}: expected modules named encoder.layer.<n>.attention.self, found none`,
    );
  const ids = [
    specialToken(tokenizer, "[CLS]"),
    ...tokenizer.encode(SENTENCE),
    specialToken(tokenizer, "[SEP]"),
  ];

  const lm = createModel<Envoy>(manifest);
  const attention = lm.trace({ tokens: [ids] }, () => {
    for (const { path, layer } of layers)
      moduleAt(lm, path).source.softmax_0!.output.save(
        `layer${layer}.attention[batch,head,query,key]`,
      );
  });

  return [
    {
      title: ATTENTION_TITLE,
      description: `Every layer's attention probabilities for *${SENTENCE}* in all-MiniLM-L6-v2, the sentence-transformers encoder, with its real pretrained weights (their source and licence are in models/minilm). Each pattern is read inside the layer's self-attention module with \`.source\`: \`encoder.layer[n].attention.self.source.softmax_0.output\`, the Softmax's output before dropout.\n\nThe run page draws each layer as an attention view: pick a head from the thumbnails to see where each token (a row) looks (the columns), with the weights in the table below it. Most heads put most of their weight on \`[CLS]\`. Layer 0's head 2 is a previous-token head: every token after \`[CLS]\` puts nearly all its weight (over 0.99) on the token before it. In layer 3, head 1 sends about half of *it*'s weight to *cat*.`,
      tags: ["attention", "source", "bert"],
      message: `attention of all ${layers.length} layers`,
      graph: attention,
    },
  ];
}

/** The module envoy at a manifest path ("encoder.layer.0.attention.self"). */
function moduleAt(lm: Envoy, path: string): Envoy {
  return path.split(".").reduce<Envoy>((envoy, part) => {
    const child = /^\d+$/.test(part) ? envoy[Number(part)] : envoy[part];
    if (child === undefined)
      throw new Error(`module path ${path}: no "${part}" under ${envoy.path}`);
    return child;
  }, lm);
}

/** The id of a special token the tokenizer knows as one piece, or an error naming it. */
function specialToken(tokenizer: TextTokenizer, token: string): number {
  const ids = tokenizer.encode(token);
  if (ids.length !== 1)
    throw new Error(
      `tokenizer: expected ${token} to be one token, got ids [${ids.join(", ")}]`,
    );
  return ids[0]!;
}
