"use client";
import type { ReactNode } from "react";
import type { ResultView } from "../../results/result-views";
import { ResultSection } from "./result-section";
import { ScrollBox } from "./scroll-box";
import styles from "./results.module.css";
import { usePlot } from "./use-plot";

/**
 * A result view drawn as an Observable Plot chart (`build`, see usePlot),
 * with its values as a table in a closed `<details>` below: the chart is an
 * image named by `chartLabel`, and the table is what screen readers and
 * tests read.
 */
export function PlottedView<V extends ResultView>({
  view,
  build,
  description,
  chartLabel,
  children,
}: {
  view: V;
  /** Module-level, so the chart is not rebuilt on every render. */
  build: (view: V, width: number) => Element;
  description: string;
  chartLabel: string;
  /** The values table. */
  children: ReactNode;
}) {
  const ref = usePlot(view, build);
  return (
    <ResultSection view={view} description={description}>
      <div
        ref={ref}
        className={styles.chart}
        role="img"
        aria-label={chartLabel}
      />
      <details className={styles.details}>
        <summary>Values as a table</summary>
        <ScrollBox label={`${view.name} values`}>{children}</ScrollBox>
      </details>
    </ResultSection>
  );
}
