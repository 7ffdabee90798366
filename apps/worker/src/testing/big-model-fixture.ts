import { writeFile } from "node:fs/promises";
import path from "node:path";
import { importOnnxModel } from "@loupe/engine";
import {
  buildSyntheticModel,
  splitExternalData,
  syntheticWeightBytes,
  type SyntheticModelSize,
} from "@loupe/engine/testing";

/** An imported model written at test time: where it is and how big its weights are. */
export interface BigModelFixture {
  readonly name: string;
  /** `<dir>/<name>.onnx`, its manifest and its weights' data file beside it. */
  readonly onnxPath: string;
  readonly weightBytes: number;
}

/**
 * Writes an importable model of any size as a large export looks on disk:
 * a GPT-2 style stack of random weights with the TorchScript exporter's node
 * names (the engine's synthetic model), its weights in an external data file
 * (`<name>.onnx.data`, as torch writes exports over 2 GB), and the
 * `<name>.manifest.json` that `loupe models import` writes, from the
 * engine's importer. Hundreds of MB are generated rather than committed.
 */
export async function writeBigModelFixture(
  dir: string,
  name: string,
  size: SyntheticModelSize,
): Promise<BigModelFixture> {
  const onnxPath = path.join(dir, `${name}.onnx`);
  const dataFile = `${name}.onnx.data`;
  const { model, data } = splitExternalData(
    buildSyntheticModel(size),
    dataFile,
  );
  await writeFile(path.join(dir, dataFile), data);
  await writeFile(onnxPath, model);
  const imported = await importOnnxModel(model, name, {
    externalDataDir: dir,
  });
  await writeFile(
    path.join(dir, `${name}.manifest.json`),
    `${JSON.stringify(
      {
        format: "loupe.imported-model",
        version: 1,
        manifest: imported.manifest,
        tokenizer: null,
        unresolved: imported.unresolved,
      },
      null,
      2,
    )}\n`,
  );
  return { name, onnxPath, weightBytes: syntheticWeightBytes(size) };
}
