import path from "node:path";
import type { RawModel } from "../onnx/onnx-bytes.ts";
import { WeightStoreError } from "./weight-store-error.ts";

/**
 * The external data files a model's initializers name, in the order they are
 * first named: each a relative path inside the model's folder (a location
 * that is absolute or climbs out of the folder is refused, as ONNX does).
 */
export function externalDataFiles(
  raw: Pick<RawModel, "initializers">,
): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const init of raw.initializers) {
    const location = init.external?.location;
    if (location === undefined || seen.has(location)) continue;
    const normal = path.posix.normalize(location.replaceAll("\\", "/"));
    if (
      path.isAbsolute(location) ||
      normal.startsWith("../") ||
      normal === ".."
    )
      throw new WeightStoreError(
        `initializer ${init.name}: external data location "${location}" is outside the model's folder`,
      );
    seen.add(location);
    files.push(location);
  }
  return files;
}
