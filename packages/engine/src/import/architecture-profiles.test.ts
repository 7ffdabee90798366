import { describe, expect, it } from "vitest";
import { readMatrixReferences } from "../matrix/matrix-reference.ts";
import { ARCHITECTURE_PROFILES } from "./architecture-profiles.ts";

/** The profile the importer would pick for these module paths. */
const detect = (paths: Iterable<string>) =>
  ARCHITECTURE_PROFILES.find((p) => p.detect(new Set(paths)))?.architecture;

/** Paths alone cannot tell Qwen2 from Llama: same modules, same profile. */
const SAME_MODULE_TREE: Record<string, string> = {
  Qwen2ForCausalLM: "LlamaForCausalLM",
};

describe("architecture profiles", () => {
  it.each(readMatrixReferences().map((r) => [r.architecture, r] as const))(
    "detect %s from the modules its forward calls (transformers 4.46.3)",
    (architecture, ref) => {
      const called = ref.module_tree.filter((m) => m.called).map((m) => m.path);
      expect(detect(called)).toBe(
        SAME_MODULE_TREE[architecture] ?? architecture,
      );
    },
  );

  it("does not take GPT-J (GPT-2's names, no position table) for GPT-2", () => {
    const gptj = [
      "transformer",
      "transformer.wte",
      "transformer.h.0",
      "lm_head",
    ];
    expect(detect(gptj)).toBe("GPTJForCausalLM");
    expect(detect([...gptj, "transformer.wpe"])).toBe("GPT2LMHeadModel");
  });

  it("each profile's tuple modules are those transformers 4.46.3 returns tuples from", () => {
    for (const ref of readMatrixReferences()) {
      const profile = ARCHITECTURE_PROFILES.find(
        (p) =>
          p.architecture ===
          (SAME_MODULE_TREE[ref.architecture] ?? ref.architecture),
      )!;
      const m = ref.modules;
      const key = [m.block, m.attn, m.mlp].flatMap((t) =>
        [0, 1].map((i) => t.replace("{i}", String(i))),
      );
      for (const path of key) {
        const torch = ref.module_tree.find((t) => t.path === path)!.tuple;
        const pattern = profile.tupleModules.some((p) =>
          new RegExp(
            `^${p.replace(/\./g, "\\.").replace(/\*/g, "[^.]+")}$`,
          ).test(path),
        );
        expect(pattern, `${ref.name}: ${path}`).toBe(torch);
      }
    }
  });
});
