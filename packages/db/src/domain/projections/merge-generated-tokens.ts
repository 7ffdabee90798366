import type { GeneratedRow } from "@loupe/graph";
import type { DomainEventOf } from "./projection.ts";

/** A generating run's rows as the runs table keeps them (`runs.generated`). */
export type GeneratedRows = readonly GeneratedRow[];

/** A row as the merge writes it (a plain object type, so Prisma takes it as JSON). */
type RowBeingMerged = Omit<GeneratedRow, "ids" | "text"> & {
  ids: number[];
  text: string | null;
};

/**
 * Adds streamed tokens to their rows: a token lands at its step, so a retried
 * run's tokens (the same steps again) replace rather than repeat. Returns new
 * rows, in (trace, invoke, row) order; `rows` is left as it is.
 */
export function mergeGeneratedTokens(
  rows: GeneratedRows,
  tokens: DomainEventOf<"run.tokens">["payload"]["tokens"],
): RowBeingMerged[] {
  const out: RowBeingMerged[] = rows.map((r) => ({ ...r, ids: [...r.ids] }));
  for (const t of tokens) {
    let row = out.find(
      (r) => r.trace === t.trace && r.invoke === t.invoke && r.row === t.row,
    );
    if (!row) {
      row = {
        trace: t.trace,
        invoke: t.invoke,
        row: t.row,
        ids: [],
        text: null,
      };
      out.push(row);
    }
    if (t.step > row.ids.length) continue; // a gap: a retry's earlier steps come first
    row.ids[t.step] = t.id;
    row.ids.length = t.step + 1;
    row.text = t.text;
  }
  return out.sort(
    (a, b) => a.trace - b.trace || a.invoke - b.invoke || a.row - b.row,
  );
}
