import type { ModelSource } from "@loupe/db";

/** A model's name as hosting takes it: its task queue is `loupe-model-<name>`. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Reads where a model's files are from what an administrator typed: an
 * absolute path to its .onnx on storage the workers share, or an
 * `s3://bucket/key.onnx` URL in the store results use. Anything else is
 * refused with what was expected, since the API only records where the files
 * are: it never fetches or receives them.
 */
export function parseModelSource(
  text: string,
): { ok: true; value: ModelSource } | { ok: false; message: string } {
  const value = text.trim();
  if (value.startsWith("s3://")) {
    if (!/^s3:\/\/[^/\s]+\/\S+\.onnx$/.test(value))
      return {
        ok: false,
        message: `"${value}": expected s3://<bucket>/<folder>/<model>.onnx`,
      };
    return { ok: true, value: { kind: "s3", url: value } };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    return {
      ok: false,
      message: `"${value}": Loupe reads models from storage its workers share (an absolute path) or from its S3 store (s3://…), not from ${value.split(":")[0]} URLs`,
    };
  if (!value.startsWith("/"))
    return {
      ok: false,
      message: `"${value}": expected an absolute path, as the workers see it, to the model's .onnx file`,
    };
  if (!value.endsWith(".onnx"))
    return {
      ok: false,
      message: `"${value}": expected the model's .onnx file (imported with \`loupe models import\`, its manifest beside it)`,
    };
  return { ok: true, value: { kind: "path", path: value } };
}
