import type { Manifest } from "../manifest/manifest-schema.ts";

/**
 * A float16 weight or module tensor of the model, described for a message
 * (`weight "transformer.wte.weight"`), or undefined for a model with none.
 * Weights come first, in module order (the model's own last), then module
 * inputs and outputs. The validator refuses gradients on such a model: the
 * engine's backward pass differentiates float32 programs only.
 */
export function findFloat16Tensor(manifest: Manifest): string | undefined {
  // The model's own weights last: exporters name them (`onnx::MatMul_683`).
  const modules = [
    ...manifest.modules.filter((m) => m.path !== ""),
    ...manifest.modules.filter((m) => m.path === ""),
  ];
  for (const m of modules)
    for (const p of m.params)
      if (p.dtype === "float16") return `weight "${p.tensor}"`;
  for (const m of manifest.modules)
    for (const call of m.calls)
      for (const [slot, specs] of [
        ["input", call.inputs],
        ["output", call.outputs],
      ] as const)
        for (const t of specs)
          if (t.dtype === "float16")
            return `${m.path === "" ? "the model's" : `${m.path}'s`} ${slot} "${t.tensor}"`;
  return undefined;
}
