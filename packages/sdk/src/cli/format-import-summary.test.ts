import { expect, it } from "vitest";
import { formatImportSummary } from "./format-import-summary.ts";

it("lists every unresolved module, unplaced weight and what .source cannot reach, with the reasons", () => {
  const text = formatImportSummary({
    manifestPath: "/m/llama.manifest.json",
    file: {
      format: "loupe.imported-model",
      version: 1,
      manifest: {
        format: "loupe.manifest",
        version: 1,
        model: { name: "llama", architecture: "unknown" },
        modules: [
          { path: "", type: "Model", calls: [], params: [] },
          { path: "model", type: "Module", calls: [], params: [] },
        ],
        aliases: {},
      },
      tokenizer: null,
      unresolved: [
        { path: "model.rotary_emb", reason: "called 2 times with no suffix" },
        { path: "", reason: "no output" },
      ],
      unplacedParams: [
        {
          tensor: "onnx::MatMul_12",
          usedBy: ["model.a", "model.b"],
          reason:
            "2 nodes read it, in 2 modules: which one's parameter it is cannot be told",
        },
      ],
      unreachable: [
        {
          path: "model",
          call: 1,
          name: "attention_0",
          reason: "Attention is a fused operator",
        },
      ],
    },
  });
  expect(text).toBe(
    [
      "Imported llama (unknown)",
      "  modules     2 (0 calls)",
      "  hash        none",
      "  tokenizer   none",
      "  manifest    /m/llama.manifest.json",
      "  unresolved  2 modules left out of the manifest (never guessed):",
      "    model.rotary_emb: called 2 times with no suffix",
      "    (model): no output",
      "  parameters  1 weights no module claims (not reachable with .param()):",
      "    onnx::MatMul_12, read by model.a, model.b: 2 nodes read it, in 2 modules: which one's parameter it is cannot be told",
      "  source      0 operations inside modules (.source); 1 unreachable:",
      "    model.calls[1].source.attention_0: Attention is a fused operator",
      "",
    ].join("\n"),
  );
});
