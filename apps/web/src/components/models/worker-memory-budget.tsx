import { formatBytes } from "@/lib/format-bytes";

/** A worker's memory budget for model weights and what its models take of it. */
export function WorkerMemoryBudget({
  memory,
}: {
  memory: { budgetBytes: number | null; admittedBytes: number } | null;
}) {
  if (!memory) return <span className="muted">not reported</span>;
  return (
    <>
      weights {formatBytes(memory.admittedBytes)}
      {memory.budgetBytes === null
        ? " (no budget)"
        : ` of ${formatBytes(memory.budgetBytes)}`}
    </>
  );
}
