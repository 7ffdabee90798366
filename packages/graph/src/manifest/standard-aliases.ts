/** Llama's names, which Mistral, Qwen2, Gemma 2 and Phi-3 share. */
const LLAMA_LIKE = {
  embed_tokens: "model.embed_tokens",
  layers: "model.layers",
  "layers.*": "model.layers.*",
  ln_final: "model.norm",
  lm_head: "lm_head",
} as const;

/**
 * Loupe's one vocabulary across architectures (`layers[i].mlp`, `ln_final`,
 * `lm_head`, …), mapped onto each known architecture's module names. Importers
 * write these into manifests, so a graph written with aliases runs on any of them.
 */
export const STANDARD_ALIASES = {
  GPT2LMHeadModel: {
    embed_tokens: "transformer.wte",
    layers: "transformer.h",
    "layers.*": "transformer.h.*",
    "layers.*.input_layernorm": "transformer.h.*.ln_1",
    "layers.*.self_attn": "transformer.h.*.attn",
    "layers.*.self_attn.o_proj": "transformer.h.*.attn.c_proj",
    "layers.*.post_attention_layernorm": "transformer.h.*.ln_2",
    "layers.*.mlp": "transformer.h.*.mlp",
    "layers.*.mlp.up_proj": "transformer.h.*.mlp.c_fc",
    "layers.*.mlp.act_fn": "transformer.h.*.mlp.act",
    "layers.*.mlp.down_proj": "transformer.h.*.mlp.c_proj",
    ln_final: "transformer.ln_f",
    lm_head: "lm_head",
  },
  LlamaForCausalLM: LLAMA_LIKE,
  MistralForCausalLM: LLAMA_LIKE,
  Qwen2ForCausalLM: LLAMA_LIKE,
  Gemma2ForCausalLM: LLAMA_LIKE,
  Phi3ForCausalLM: LLAMA_LIKE,
  GPTNeoXForCausalLM: {
    embed_tokens: "gpt_neox.embed_in",
    layers: "gpt_neox.layers",
    "layers.*": "gpt_neox.layers.*",
    "layers.*.self_attn": "gpt_neox.layers.*.attention",
    ln_final: "gpt_neox.final_layer_norm",
    lm_head: "embed_out",
  },
  GPTJForCausalLM: {
    embed_tokens: "transformer.wte",
    layers: "transformer.h",
    "layers.*": "transformer.h.*",
    "layers.*.input_layernorm": "transformer.h.*.ln_1",
    "layers.*.self_attn": "transformer.h.*.attn",
    "layers.*.mlp": "transformer.h.*.mlp",
    ln_final: "transformer.ln_f",
    lm_head: "lm_head",
  },
  OPTForCausalLM: {
    embed_tokens: "model.decoder.embed_tokens",
    layers: "model.decoder.layers",
    "layers.*": "model.decoder.layers.*",
    "layers.*.self_attn": "model.decoder.layers.*.self_attn",
    ln_final: "model.decoder.final_layer_norm",
    lm_head: "lm_head",
  },
  /**
   * BERT has no final norm. Its `BertOutput` and `BertSelfOutput` modules are
   * called `output`, which `.output` shadows on an envoy: these aliases are
   * the way to reach them (`layers[0].ffn_output.dense`).
   */
  BertForMaskedLM: {
    embed_tokens: "bert.embeddings.word_embeddings",
    layers: "bert.encoder.layer",
    "layers.*": "bert.encoder.layer.*",
    "layers.*.self_attn": "bert.encoder.layer.*.attention",
    "layers.*.attention_output": "bert.encoder.layer.*.attention.output",
    "layers.*.ffn_output": "bert.encoder.layer.*.output",
    lm_head: "cls",
  },
  /** A bare BERT encoder (sentence-transformers' all-MiniLM-L6-v2): no head. */
  BertModel: {
    embed_tokens: "embeddings.word_embeddings",
    layers: "encoder.layer",
    "layers.*": "encoder.layer.*",
    "layers.*.self_attn": "encoder.layer.*.attention",
    "layers.*.attention_output": "encoder.layer.*.attention.output",
    "layers.*.ffn_output": "encoder.layer.*.output",
  },
} as const satisfies Record<string, Record<string, string>>;
