"use client";
import { useId, useMemo, useState } from "react";
import type { ResultView } from "../../results/result-views";
import { AttentionHeads, WEIGHT_COLOR } from "./attention-heads";
import { AttentionTable } from "./attention-table";
import { plotCells, type CellGrid } from "./plot-cells";
import { ResultSection } from "./result-section";
import styles from "./results.module.css";
import { usePlot } from "./use-plot";

type AttentionResult = Extract<ResultView, { kind: "attention" }>;

/**
 * An attention pattern: every head as a thumbnail to pick from, the picked
 * head as a heatmap (query tokens down, key tokens across, weights 0 to 1 on
 * one colour scale) and as a table of its weights. A tensor with more than one
 * batch row gets a picker for the row.
 */
export function AttentionView({ view }: { view: AttentionResult }) {
  const [row, setRow] = useState(0);
  const [head, setHead] = useState(0);
  const rowId = useId();
  const heads = view.patterns[row] ?? [];
  const shown = Math.min(head, heads.length - 1);
  const grid = useMemo<CellGrid>(
    () => ({
      rowAxis: "query",
      colAxis: "key",
      rowLabels: view.queryLabels,
      colLabels: view.keyLabels,
      values: heads[shown] ?? [],
    }),
    [view, heads, shown],
  );
  const ref = usePlot(grid, buildAttentionChart);
  const batch = view.patterns.length;
  const where = batch > 1 ? `batch row ${row}, head ${shown}` : `head ${shown}`;
  return (
    <ResultSection
      view={view}
      description={`Attention pattern: ${heads.length} head${heads.length === 1 ? "" : "s"}, ${view.queryLabels.length} queries × ${view.keyLabels.length} keys${batch > 1 ? `, ${batch} batch rows` : ""}. Each row is one query token's weights over the key tokens; they sum to 1.`}
    >
      {batch > 1 && (
        <p className={styles.control}>
          <label htmlFor={rowId}>Batch row </label>
          <select
            id={rowId}
            value={row}
            onChange={(e) => setRow(Number(e.target.value))}
          >
            {view.patterns.map((_, b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </p>
      )}
      <AttentionHeads heads={heads} selected={shown} onSelect={setHead} />
      <div
        ref={ref}
        className={styles.chart}
        role="img"
        data-testid="attention-chart"
        data-head={shown}
        aria-label={`Heatmap of ${view.name}, ${where}: query tokens down, key tokens across, darker blue for more attention. The table below lists every weight.`}
      />
      <details className={styles.details} open>
        <summary>Weights of {where} as a table</summary>
        <AttentionTable
          caption={`${view.name}, ${where}: how much each query token (row) attends to each key token (column)`}
          queryLabels={view.queryLabels}
          keyLabels={view.keyLabels}
          weights={heads[shown] ?? []}
        />
      </details>
    </ResultSection>
  );
}

function buildAttentionChart(grid: CellGrid, available: number): Element {
  return plotCells(grid, available, WEIGHT_COLOR);
}
