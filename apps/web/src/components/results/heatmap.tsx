"use client";
import type { ResultView } from "../../results/result-views";
import { formatNumber } from "./format-number";
import { plotCells } from "./plot-cells";
import { PlottedView } from "./plotted-view";
import styles from "./results.module.css";

type HeatmapView = Extract<ResultView, { kind: "heatmap" }>;

/**
 * A 2-D result as an Observable Plot cell chart on a diverging red–blue scale
 * centred at 0 (symmetric domain, so equal magnitudes get equal strength), with
 * a legend and each cell's exact value in its title. Below it, the same values
 * as a table for screen readers and tests: each cell carries `data-row`,
 * `data-col` and `data-value` (`String(value)`, the exact float).
 */
export function Heatmap({ view }: { view: HeatmapView }) {
  const rows = view.rowLabels.length;
  const cols = view.colLabels.length;
  const [min, max] = finiteExtent(view.values.flat());
  return (
    <PlottedView
      view={view}
      build={buildHeatmap}
      description={`Heatmap, ${rows} ${view.rowAxis} × ${cols} ${view.colAxis}; values from ${formatNumber(min)} to ${formatNumber(max)}.`}
      chartLabel={`Heatmap of ${view.name}: ${view.rowAxis} down, ${view.colAxis} across, blue for positive values and red for negative. The table below lists every value.`}
    >
      <table className={styles.table}>
        <thead>
          <tr>
            <th scope="col">
              {view.rowAxis} \ {view.colAxis}
            </th>
            {view.colLabels.map((label, j) => (
              <th key={j} scope="col">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {view.values.map((row, i) => (
            <tr key={i}>
              <th scope="row">{view.rowLabels[i]}</th>
              {row.map((value, j) => (
                <td
                  key={j}
                  className={styles.num}
                  data-testid="heatmap-cell"
                  data-row={i}
                  data-col={j}
                  data-value={String(value)}
                >
                  {value.toFixed(4)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </PlottedView>
  );
}

function buildHeatmap(view: HeatmapView, available: number): Element {
  const [min, max] = finiteExtent(view.values.flat());
  const extent = Math.max(Math.abs(min), Math.abs(max)) || 1;
  return plotCells(view, available, {
    type: "diverging",
    scheme: "RdBu",
    domain: [-extent, extent],
    pivot: 0,
    label: "value",
  });
}

/** The smallest and largest finite values, [0, 0] when there are none. */
function finiteExtent(values: number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values)
    if (Number.isFinite(v)) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  return min > max ? [0, 0] : [min, max];
}
