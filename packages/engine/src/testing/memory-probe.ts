/**
 * Run by weights/external-data.test.ts in a process of its own (`node --expose-gc
 * --import tsx memory-probe.ts <model.onnx>`): imports the model, loads it,
 * runs a trace, then prints the process's JS-side memory (V8's external and
 * array buffer bytes, after a full GC) as one JSON line. A fresh process, so
 * the number is the engine's and not a test runner's.
 */
import fs from "node:fs";
import path from "node:path";
import { createModel, type Envoy } from "@loupe/graph";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { loadModelFiles } from "../import/load-model-files.ts";

const onnxPath = process.argv[2]!;
const gc = (globalThis as { gc?: () => void }).gc!;
{
  const { manifest } = await importOnnxModel(
    new Uint8Array(fs.readFileSync(onnxPath)),
    "probe",
    { externalDataDir: path.dirname(onnxPath) },
  );
  fs.writeFileSync(
    onnxPath.replace(/\.onnx$/, ".manifest.json"),
    JSON.stringify({ manifest, tokenizer: null }),
  );
}
const engine = await loadModelFiles(onnxPath, {
  weightsDir: process.env.LOUPE_WEIGHTS_DIR!,
});
const lm = createModel<Envoy & Record<string, Envoy>>(engine.manifest);
const { saves } = await engine.run(
  lm.trace({ tokens: [[1, 2, 3, 4, 5, 6, 7, 8]] }, () => {
    lm.output.item("logits").save("logits");
  }),
);
const logits = saves.logits!.data as Float32Array;
gc();
await new Promise((r) => setTimeout(r, 50));
gc();
const { external, arrayBuffers } = process.memoryUsage();
console.log(
  JSON.stringify({
    weightBytes: engine.weightBytes,
    jsBytes: external + arrayBuffers,
    external,
    arrayBuffers,
    logitsFinite: logits.every(Number.isFinite),
  }),
);
await engine.close();
