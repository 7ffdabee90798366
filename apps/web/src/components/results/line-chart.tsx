"use client";
import * as Plot from "@observablehq/plot";
import type { ResultView } from "../../results/result-views";
import { formatNumber } from "./format-number";
import { PlottedView } from "./plotted-view";
import styles from "./results.module.css";

type LineView = Extract<ResultView, { kind: "line" }>;

/** Above this many points the dots would hide the line, so only the line is drawn. */
const MAX_DOTS = 512;

/**
 * A 1-D result as an Observable Plot line with a dot per point (each titled
 * with its exact value) and a rule at 0 when the values cross it. The values
 * are also listed in a table inside a closed `<details>`.
 */
export function LineChart({ view }: { view: LineView }) {
  const ys = view.points.map((p) => p.y);
  const description = `Line chart of ${view.points.length} values over ${view.xAxis} 0–${view.points.length - 1}, from ${formatNumber(Math.min(...ys))} to ${formatNumber(Math.max(...ys))}.`;
  return (
    <PlottedView
      view={view}
      build={buildLineChart}
      description={description}
      chartLabel={`${description} The table below lists every value.`}
    >
      <table className={styles.table}>
        <thead>
          <tr>
            <th scope="col">{view.xAxis}</th>
            <th scope="col">{view.name}</th>
          </tr>
        </thead>
        <tbody>
          {view.points.map((p) => (
            <tr key={p.x}>
              <th scope="row" className={styles.num}>
                {p.x}
              </th>
              <td className={styles.num} data-value={String(p.y)}>
                {formatNumber(p.y)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </PlottedView>
  );
}

function buildLineChart(view: LineView, available: number): Element {
  const ys = view.points.map((p) => p.y).filter(Number.isFinite);
  const crossesZero = Math.min(...ys) <= 0 && Math.max(...ys) >= 0;
  const point = (p: { x: number; y: number }) =>
    `${view.xAxis} ${p.x}: ${String(p.y)}`;
  return Plot.plot({
    width: Math.min(available, 960),
    height: 280,
    marginLeft: 56,
    style: { fontSize: "11px" },
    x: { label: view.xAxis, labelAnchor: "center", labelArrow: "none" },
    y: { label: view.name, grid: true, labelArrow: "none" },
    marks: [
      crossesZero ? Plot.ruleY([0], { stroke: "var(--muted)" }) : null,
      Plot.lineY(view.points, { x: "x", y: "y", stroke: "var(--accent)" }),
      view.points.length <= MAX_DOTS
        ? Plot.dot(view.points, {
            x: "x",
            y: "y",
            r: 2.5,
            fill: "var(--accent)",
            title: point,
          })
        : null,
    ],
  });
}
