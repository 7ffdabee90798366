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

/** The architectures Loupe's importer knows; others import without aliases or tuples. */
export const ARCHITECTURE_PROFILES: readonly ArchitectureProfile[] = [
  {
    architecture: "GPT2LMHeadModel",
    detect: (paths) => paths.has("transformer.h.0") && paths.has("lm_head"),
    tupleModules: ["transformer", "transformer.h.*", "transformer.h.*.attn"],
    aliases: STANDARD_ALIASES.GPT2LMHeadModel,
  },
  {
    architecture: "LlamaForCausalLM",
    detect: (paths) => paths.has("model.layers.0") && paths.has("lm_head"),
    // transformers 4.46: decoder layers and attention return tuples; the model's
    // body returns a BaseModelOutput (read as a tuple).
    tupleModules: ["model", "model.layers.*", "model.layers.*.self_attn"],
    aliases: STANDARD_ALIASES.LlamaForCausalLM,
  },
];
