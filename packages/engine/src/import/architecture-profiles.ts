import { STANDARD_ALIASES } from "@loupe/graph";

/**
 * What an ONNX file cannot tell about a PyTorch architecture: which modules
 * return tuples (so `.output[0]` reads as in NNsight) and the aliases that map
 * Loupe's one vocabulary (`layers`, `ln_final`, `lm_head`, …) onto its names.
 */
export interface ArchitectureProfile {
  readonly architecture: string;
  /** Recognises the architecture from its module paths. */
  readonly detect: (paths: ReadonlySet<string>) => boolean;
  /**
   * Modules whose forward returns a tuple, by path pattern (`*`: one
   * segment): an assumption about the transformers version that was
   * exported, since the export cannot tell (see decideTuples).
   */
  readonly tupleModules: readonly string[];
  readonly aliases: Readonly<Record<string, string>>;
}

/** transformers 4.x: the model's body, its decoder layers and their attention return tuples. */
const llamaLikeTuples = [
  "model",
  "model.layers.*",
  "model.layers.*.self_attn",
] as const;

/**
 * The architectures Loupe's importer knows; others import without aliases or
 * tuples. The first whose `detect` matches wins, so a profile that tells
 * apart architectures sharing names (Llama's family) comes before the one it
 * refines. Detection sees module paths only: where two architectures have the
 * same module tree (Llama and Qwen2), the first profile names both, with the
 * same tuples and aliases. Tuples are transformers 4.x's (checked against
 * 4.46.3's forward hooks by fixtures/matrix).
 */
export const ARCHITECTURE_PROFILES: readonly ArchitectureProfile[] = [
  {
    architecture: "GPT2LMHeadModel",
    // GPT-J has GPT-2's names but no learned position table (rotary instead).
    detect: (paths) =>
      paths.has("transformer.h.0") &&
      paths.has("transformer.wpe") &&
      paths.has("lm_head"),
    tupleModules: ["transformer", "transformer.h.*", "transformer.h.*.attn"],
    aliases: STANDARD_ALIASES.GPT2LMHeadModel,
  },
  {
    architecture: "GPTJForCausalLM",
    detect: (paths) =>
      paths.has("transformer.h.0") &&
      !paths.has("transformer.wpe") &&
      paths.has("lm_head"),
    tupleModules: ["transformer", "transformer.h.*", "transformer.h.*.attn"],
    aliases: STANDARD_ALIASES.GPTJForCausalLM,
  },
  {
    architecture: "GPTNeoXForCausalLM",
    detect: (paths) => paths.has("gpt_neox.layers.0") && paths.has("embed_out"),
    tupleModules: [
      "gpt_neox",
      "gpt_neox.layers.*",
      "gpt_neox.layers.*.attention",
    ],
    aliases: STANDARD_ALIASES.GPTNeoXForCausalLM,
  },
  {
    architecture: "Gemma2ForCausalLM",
    detect: (paths) =>
      paths.has("model.layers.0.pre_feedforward_layernorm") &&
      paths.has("lm_head"),
    tupleModules: llamaLikeTuples,
    aliases: STANDARD_ALIASES.Gemma2ForCausalLM,
  },
  {
    architecture: "Phi3ForCausalLM",
    detect: (paths) =>
      paths.has("model.layers.0.self_attn.qkv_proj") && paths.has("lm_head"),
    tupleModules: llamaLikeTuples,
    aliases: STANDARD_ALIASES.Phi3ForCausalLM,
  },
  {
    architecture: "MistralForCausalLM",
    // transformers 4.46's Mistral computes its rotary embedding in each
    // attention; Llama (and Qwen2) once, in model.rotary_emb.
    detect: (paths) =>
      paths.has("model.layers.0.self_attn.rotary_emb") &&
      !paths.has("model.rotary_emb") &&
      paths.has("lm_head"),
    tupleModules: llamaLikeTuples,
    aliases: STANDARD_ALIASES.MistralForCausalLM,
  },
  {
    architecture: "LlamaForCausalLM",
    detect: (paths) => paths.has("model.layers.0") && paths.has("lm_head"),
    // transformers 4.46: decoder layers and attention return tuples; the model's
    // body returns a BaseModelOutput (read as a tuple).
    tupleModules: llamaLikeTuples,
    aliases: STANDARD_ALIASES.LlamaForCausalLM,
  },
  {
    architecture: "OPTForCausalLM",
    // OPTForCausalLM calls model.decoder itself: OPTModel's forward never runs.
    detect: (paths) =>
      paths.has("model.decoder.layers.0") && paths.has("lm_head"),
    tupleModules: [
      "model.decoder",
      "model.decoder.layers.*",
      "model.decoder.layers.*.self_attn",
    ],
    aliases: STANDARD_ALIASES.OPTForCausalLM,
  },
  {
    architecture: "BertForMaskedLM",
    detect: (paths) => paths.has("bert.encoder.layer.0") && paths.has("cls"),
    tupleModules: [
      "bert",
      "bert.encoder",
      "bert.encoder.layer.*",
      "bert.encoder.layer.*.attention",
      "bert.encoder.layer.*.attention.self",
    ],
    aliases: STANDARD_ALIASES.BertForMaskedLM,
  },
  {
    // A bare encoder (no head, no `bert.` prefix), as sentence-transformers
    // ships all-MiniLM-L6-v2; tuples as transformers 5 returns them (the
    // bundled models/minilm export).
    architecture: "BertModel",
    detect: (paths) =>
      paths.has("encoder.layer.0") && paths.has("embeddings.word_embeddings"),
    tupleModules: [
      "encoder",
      "encoder.layer.*.attention",
      "encoder.layer.*.attention.self",
    ],
    aliases: STANDARD_ALIASES.BertModel,
  },
];
