/**
 * `npm run paper:examples`: runs the paper's Code Examples 1, 3 and 4, a logit
 * lens and attribution patching on Loupe's bundled model, in this process, and
 * prints the results. The graphs come from @loupe/graph's example builders, the
 * same definitions as examples/ and the gallery's seed.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadModelFiles } from "../import/load-model-files.ts";
import {
  ATTRIBUTION_PROMPTS,
  runPaperExamples,
  type PaperFacts,
  type Prediction,
} from "./paper-examples.ts";

const modelDir = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "models",
  "facts",
);
const facts = JSON.parse(
  await readFile(path.join(modelDir, "facts.json"), "utf8"),
) as PaperFacts;
const engine = await loadModelFiles(path.join(modelDir, "model.onnx"));
const show = (p: Prediction) =>
  `${JSON.stringify(p.token)} (p = ${p.prob.toFixed(3)})`;
try {
  const r = await runPaperExamples(engine, facts);
  const n = facts.neurons;
  const a = facts.activation_patching;
  console.log(
    `Loupe's bundled model (${engine.manifest.model.name}, ${engine.manifest.model.hash})\n`,
  );
  console.log(
    `Code Example 1: ${n.module}.input[:, :, [${n.neurons.join(", ")}]] = ${n.value}`,
  );
  console.log(`  "${n.prompt}" ->`);
  console.log(`  before: ${show(r.neurons.before)}`);
  console.log(`  after:  ${show(r.neurons.after)}\n`);
  console.log(
    `Code Example 3: model.trace("Hello World"): output saved, shape [${r.trace.shape.join(", ")}]`,
  );
  console.log(`  next token: ${show(r.trace.next)}\n`);
  console.log(`Code Example 4: activation patching at layer ${a.layer}`);
  console.log(
    `  hidden state of "${a.edit_prompt}" at token ${a.edit_position}`,
  );
  console.log(`  written into "${a.base_prompt}" at token ${a.base_position}`);
  console.log(`  before: ${show(r.patching.before)}`);
  console.log(`  after:  ${show(r.patching.after)}\n`);
  console.log(`Logit lens on "${facts.logit_lens.prompt}":`);
  r.logitLens.forEach((p, i) => console.log(`  layer ${i}: ${show(p)}`));
  const t = r.attribution;
  console.log(
    `\nAttribution patching of every MLP layer (the paper's Table 1 task):`,
  );
  console.log(
    `  "${ATTRIBUTION_PROMPTS.corrupted}" patched into "${ATTRIBUTION_PROMPTS.clean}"`,
  );
  console.log(
    `  metric logit(" Rome") - logit(" Paris"): clean ${t.metricClean.toFixed(3)}, corrupted ${t.metricCorrupted.toFixed(3)}`,
  );
  console.log(
    "  layer   attribution (one forward + backward pass)   real patching (one run per cell)",
  );
  t.attribution.forEach((row, i) =>
    console.log(
      `  ${String(i).padStart(5)}   ${row.map((v) => v.toFixed(2).padStart(7)).join("")}   ${t.patching[i]!.map((v) => v.toFixed(2).padStart(7)).join("")}`,
    ),
  );
  console.log(
    `  correlation over all ${t.patches} cells: ${t.pearson.toFixed(3)}; layers ranked alike (Spearman of per-layer totals): ${t.layerSpearman.toFixed(3)}`,
  );
} finally {
  await engine.close();
}
