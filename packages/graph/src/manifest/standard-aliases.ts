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
  LlamaForCausalLM: {
    embed_tokens: "model.embed_tokens",
    layers: "model.layers",
    "layers.*": "model.layers.*",
    ln_final: "model.norm",
    lm_head: "lm_head",
  },
} as const satisfies Record<string, Record<string, string>>;
