"use client";
import * as Plot from "@observablehq/plot";
import type { ResultView } from "../../results/result-views";
import { formatNumber } from "./format-number";
import { ResultSection } from "./result-section";
import { ScrollBox } from "./scroll-box";
import styles from "./results.module.css";
import { usePlot } from "./use-plot";

type HeatmapView = Extract<ResultView, { kind: "heatmap" }>;

/** Pixels a tick label needs along an axis before labels are thinned out. */
const TICK_SPACING = 14;
/** The same for x labels turned 45°, whose boxes overlap sooner. */
const ROTATED_TICK_SPACING = 18;
/** Rough width of one character of a 10px tick label. */
const CHAR_WIDTH = 6;

/**
 * A 2-D result as an Observable Plot cell chart on a diverging red–blue scale
 * centred at 0 (symmetric domain, so equal magnitudes get equal strength), with
 * a legend and each cell's exact value in its title. Below it, the same values
 * as a table for screen readers and tests: each cell carries `data-row`,
 * `data-col` and `data-value` (`String(value)`, the exact float).
 */
export function Heatmap({ view }: { view: HeatmapView }) {
  const ref = usePlot(view, buildHeatmap);
  const rows = view.rowLabels.length;
  const cols = view.colLabels.length;
  const [min, max] = finiteExtent(view.values.flat());
  return (
    <ResultSection
      view={view}
      description={`Heatmap, ${rows} ${view.rowAxis} × ${cols} ${view.colAxis}; values from ${formatNumber(min)} to ${formatNumber(max)}.`}
    >
      <div
        ref={ref}
        className={styles.chart}
        role="img"
        aria-label={`Heatmap of ${view.name}: ${view.rowAxis} down, ${view.colAxis} across, blue for positive values and red for negative. The table below lists every value.`}
      />
      <details className={styles.details}>
        <summary>Values as a table</summary>
        <ScrollBox label={`${view.name} values`}>
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
        </ScrollBox>
      </details>
    </ResultSection>
  );
}

function buildHeatmap(view: HeatmapView, available: number): Element {
  const rows = view.rowLabels.length;
  const cols = view.colLabels.length;
  const cells = view.values.flatMap((row, i) =>
    row.map((value, j) => ({ i, j, value })),
  );
  const [min, max] = finiteExtent(cells.map((c) => c.value));
  const extent = Math.max(Math.abs(min), Math.abs(max)) || 1;

  const longest = (labels: string[]) =>
    Math.max(...labels.map((l) => l.length)) * CHAR_WIDTH;
  const marginLeft = Math.min(220, longest(view.rowLabels) + 36);
  const marginRight = 12;
  const cellWidth = clamp(
    Math.floor((available - marginLeft - marginRight) / cols),
    6,
    48,
  );
  const rotate = longest(view.colLabels) > cellWidth - 4;
  const marginBottom = rotate
    ? Math.min(180, longest(view.colLabels) * 0.75 + 40)
    : 40;
  const cellHeight = clamp(Math.floor(640 / rows), 8, 28);

  return Plot.plot({
    width: marginLeft + cols * cellWidth + marginRight,
    height: 10 + rows * cellHeight + marginBottom,
    marginLeft,
    marginRight,
    marginTop: 10,
    marginBottom,
    style: { fontSize: "11px" },
    x: {
      domain: view.colLabels,
      ticks: thin(
        view.colLabels,
        cellWidth,
        rotate ? ROTATED_TICK_SPACING : TICK_SPACING,
      ),
      tickRotate: rotate ? -45 : 0,
      label: view.colAxis,
      labelAnchor: "center",
      labelArrow: "none",
    },
    y: {
      domain: view.rowLabels,
      ticks: thin(view.rowLabels, cellHeight, TICK_SPACING),
      label: view.rowAxis,
      labelAnchor: "center",
      labelArrow: "none",
    },
    color: {
      type: "diverging",
      scheme: "RdBu",
      domain: [-extent, extent],
      pivot: 0,
      legend: true,
      label: "value",
    },
    marks: [
      Plot.cell(cells, {
        x: (c: (typeof cells)[number]) => view.colLabels[c.j],
        y: (c: (typeof cells)[number]) => view.rowLabels[c.i],
        fill: "value",
        title: (c: (typeof cells)[number]) =>
          `${view.rowAxis} ${view.rowLabels[c.i]}, ${view.colAxis} ${view.colLabels[c.j]}: ${String(c.value)}`,
      }),
    ],
  });
}

/** Every k-th label, so that labels `step` pixels apart keep `spacing` between them. */
function thin(labels: string[], step: number, spacing: number): string[] {
  const every = Math.ceil(spacing / step);
  return labels.filter((_, i) => i % every === 0);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
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
