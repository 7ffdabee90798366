import {
  externalInitializer,
  inlineRawData,
  readRawModel,
  writeModel,
} from "../onnx/onnx-bytes.ts";

/**
 * Rewrites an inline ONNX export as torch.onnx and `onnx.save_model(...,
 * save_as_external_data=True)` write big ones: every initializer of at least
 * `threshold` bytes moves into one data file (`location`, packed end to end,
 * unaligned as onnx writes them unless `alignment` says otherwise) and the
 * model keeps a reference to it. For tests of external data on fixtures.
 */
export function splitExternalData(
  bytes: Uint8Array,
  location: string,
  { threshold = 1024, alignment = 1 } = {},
): { model: Uint8Array; data: Uint8Array } {
  const raw = readRawModel(bytes);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const initializers = raw.initializers.map((init) => {
    const data = inlineRawData(init);
    if (!data || data.length < threshold) return init;
    const start = Math.ceil(offset / alignment) * alignment;
    if (start > offset) chunks.push(new Uint8Array(start - offset));
    chunks.push(data);
    offset = start + data.length;
    return externalInitializer(init, {
      location,
      offset: start,
      length: data.length,
    });
  });
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { model: writeModel({ ...raw, initializers }), data };
}
