import fs from "node:fs";
import path from "node:path";
import { importOnnxModel, manifestPathOf } from "@loupe/engine";

/** The name the 1.1B export is imported and hosted under. */
export const SCALE_MODEL_NAME = "llama-1b";

/**
 * Imports the 1.1B export as `loupe models import MODEL_DIR/model.onnx
 * --name llama-1b` would, unless its manifest is already there: the module
 * tree, types probed with ONNX Runtime, and the model hash over model.onnx
 * and model.onnx.data (read in chunks). Returns the .onnx path.
 */
export async function ensureScaleModelImported(
  modelDir: string,
): Promise<string> {
  const onnxPath = path.join(modelDir, "model.onnx");
  if (fs.existsSync(manifestPathOf(onnxPath))) return onnxPath;
  const { manifest, unresolved } = await importOnnxModel(
    new Uint8Array(fs.readFileSync(onnxPath)),
    SCALE_MODEL_NAME,
    { externalDataDir: modelDir },
  );
  const file = {
    format: "loupe.imported-model",
    version: 1,
    manifest,
    tokenizer: null,
    unresolved,
  };
  fs.writeFileSync(
    manifestPathOf(onnxPath),
    `${JSON.stringify(file, null, 2)}\n`,
  );
  return onnxPath;
}
