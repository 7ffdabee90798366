import type { RawModel } from "../onnx/onnx-bytes.ts";

/** Raised when a model does not fit the memory it is given, before anything loads. */
export class ModelAdmissionError extends Error {
  override readonly name = "ModelAdmissionError";
  readonly code = "MODEL_ADMISSION";
  constructor(
    readonly model: string,
    readonly neededBytes: number,
    readonly budgetBytes: number,
  ) {
    super(
      `model "${model}" needs ${formatBytes(neededBytes)} (${neededBytes} bytes) for its weights, over the memory budget of ${formatBytes(budgetBytes)} (${budgetBytes} bytes)`,
    );
  }
}

/** Bytes of a model's weights, from its parts (nothing is read or mapped). */
export const weightBytesOf = (raw: Pick<RawModel, "initializers">): number =>
  raw.initializers.reduce((s, i) => s + i.dataBytes, 0);

/**
 * Refuses a model whose weights alone exceed `budgetBytes`, before anything
 * of it loads: activations and compiled sessions need room beside them.
 */
export function admitModel(
  name: string,
  raw: Pick<RawModel, "initializers">,
  budgetBytes: number | undefined,
): void {
  if (budgetBytes === undefined) return;
  const needed = weightBytesOf(raw);
  if (needed > budgetBytes)
    throw new ModelAdmissionError(name, needed, budgetBytes);
}

/** Bytes as people read them (GiB, MiB, KiB). */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[u]}`;
}
