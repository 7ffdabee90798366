/** Whether a model fits a worker's memory budget, and if not, why, in bytes. */
export type Admission =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly neededBytes: number;
      readonly availableBytes: number;
      readonly message: string;
    };

/**
 * Admission before loading: a model whose weights need more than what the
 * worker's budget (LOUPE_WORKER_MEMORY_BYTES; null: no budget) has left after
 * the models it already holds is refused, with a message naming the model and
 * both figures, so nothing is read and the worker's other models keep running.
 */
export function admitModel(
  name: string,
  neededBytes: number,
  budget: { budgetBytes: number | null; admittedBytes: number },
): Admission {
  if (budget.budgetBytes === null) return { ok: true };
  const availableBytes = Math.max(0, budget.budgetBytes - budget.admittedBytes);
  if (neededBytes <= availableBytes) return { ok: true };
  return {
    ok: false,
    neededBytes,
    availableBytes,
    message: `model ${name} needs ${formatBytes(neededBytes)} for its weights, but this worker has ${formatBytes(availableBytes)} available (LOUPE_WORKER_MEMORY_BYTES ${formatBytes(budget.budgetBytes)}, ${formatBytes(budget.admittedBytes)} held by its other models)`,
  };
}

/** "262,144,000 bytes (250.0 MiB)": exact, and readable. */
export function formatBytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  const readable =
    mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
  return `${bytes.toLocaleString("en")} bytes (${readable})`;
}
