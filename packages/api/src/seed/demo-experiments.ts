import {
  buildActivationPatchingGraph,
  buildLogitLensGraph,
  buildNeuronsGraph,
  buildPatchingSweepGraph,
  buildSteeredGenerationGraph,
  createModel,
  type Envoy,
  type Graph,
  type Manifest,
  type TextTokenizer,
} from "@loupe/graph";

/** A public example experiment `npm start` puts in the gallery, with a run of it. */
export interface DemoExperiment {
  readonly title: string;
  readonly description: string;
  readonly tags: string[];
  readonly message: string;
  readonly graph: Graph;
}

/** The paper's Code Example 4 (kept under its first title: seeding is idempotent by title). */
export const DEMO_TITLE = "Paris to Rome: activation patching (Code Example 4)";

const CLEAN = "The Colosseum is located in the city of";
const CORRUPTED = "The Louvre is located in the city of";
/** " Colosseum" and " Louvre" are token 1 of their prompts. */
const SUBJECT = 1;

/**
 * The gallery's starting set on the bundled model: the paper's Code Examples
 * 1 and 4, a logit lens, a steered generation and a patching sweep, built by
 * the same builders (@loupe/graph's examples) as the scripts in examples/.
 */
export function demoExperiments(
  manifest: Manifest,
  tokenizer: TextTokenizer,
): DemoExperiment[] {
  const lm = createModel<Envoy>(manifest);
  const h = lm.transformer!.h!;
  const layers = Array.from({ length: 6 }, (_, i) => h[i]!);
  const positions = tokenizer.encode(CORRUPTED).length;

  // Code Example 4 as a session of two traces (two forward passes), as the
  // gallery has always run it; examples/04 runs it as two invokes of one.
  const patching = buildActivationPatchingGraph(lm, {
    layer: h[2]!,
    from: { prompt: CLEAN, position: SUBJECT },
    into: { prompt: CORRUPTED, position: SUBJECT },
    form: "session",
  });
  const neurons = buildNeuronsGraph(lm, {
    prompt: CORRUPTED,
    module: h[1]!.mlp!.c_proj!,
    neurons: [89, 349, 422, 458],
    value: 10,
  });
  const lens = buildLogitLensGraph(lm, {
    prompt: "The Eiffel Tower is located in the city of",
    layers,
    norm: lm.transformer!.ln_f!,
    head: lm.lm_head!,
  });
  const sweep = buildPatchingSweepGraph(lm, {
    tokenizer,
    from: { prompt: CLEAN, save: "clean" },
    into: { prompt: CORRUPTED, save: "corrupted" },
    answers: [" Rome", " Paris"],
    layers,
    site: (layer) => layer.output[0]!,
    save: "logit_diff[layer,position]",
  });
  // The steering of examples/steered-generation.ts: Colosseum's subject state
  // minus Louvre's at layer 2, added at step 0 of a generation.
  const steered = buildSteeredGenerationGraph(lm, {
    layer: h[2]!,
    prompt: CORRUPTED,
    toward: CLEAN,
    position: SUBJECT,
    maxNewTokens: 4,
    stop: 0,
  });

  return [
    {
      title: DEMO_TITLE,
      description:
        "The hidden state of the subject token of a Colosseum prompt, written into a Louvre prompt at layer 2: the bundled model's prediction moves from **Paris** to **Rome**.\n\nThe paper's Code Example 4, as a session of two traces.",
      tags: ["patching", "paper"],
      message: "the paper's patching example",
      graph: patching,
    },
    {
      title: "Four neurons turn Paris into France (Code Example 1)",
      description:
        "Setting four MLP neurons of layer 1 (`transformer.h.1.mlp.c_proj` input, units 89, 349, 422 and 458) to 10 makes the bundled model answer *France* instead of *Paris* for the Louvre. The neurons were found by attribution patching in PyTorch when the model was built.",
      tags: ["neurons", "paper", "steering"],
      message: "the paper's first example",
      graph: neurons,
    },
    {
      title: "Logit lens: where the Eiffel Tower's city forms",
      description:
        "Every layer's hidden state at the last position, decoded with the model's own final norm and unembedding, in one forward pass. The table shows the top tokens after each layer: *Lisbon*, then *Rome*, then *Paris* from layer 3 on.",
      tags: ["logit-lens"],
      message: "logit lens over all 6 layers",
      graph: lens,
    },
    {
      title:
        "Steering a generation: the Louvre continued as if it were in Rome",
      description: `A direction found by contrasting two prompts (the layer-2 hidden state of *Colosseum* minus that of *Louvre*, at the subject token) is added while the model reads *${CORRUPTED}*, at generation step 0 only; with the key/value cache every later token attends to the steered state. The model's own continuation is *Paris.*; the steered one is *Rome.* The run page shows both generations, streamed as they are made.`,
      tags: ["steering", "generation"],
      message: "steer a generation at step 0",
      graph: steered,
    },
    {
      title: "Patching sweep: which layer and position carry the subject",
      description: `For every layer and token position, the clean run's hidden state (*${CLEAN}* → Rome) is written into the corrupted run (*${CORRUPTED}* → Paris), and the patched run's logit difference logit(Rome) − logit(Paris) is recorded. All ${layers.length * positions} patches are invokes of one forward pass; the graph stacks them into one layer × position tensor, drawn as a heatmap.`,
      tags: ["patching", "sweep", "heatmap"],
      message: "every layer x position",
      graph: sweep,
    },
  ];
}
