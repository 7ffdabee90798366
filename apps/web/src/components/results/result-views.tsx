"use client";
import type { ReactNode } from "react";
import type { ResultView } from "../../results/result-views";
import { Heatmap } from "./heatmap";
import { LineChart } from "./line-chart";
import { LogitLensTable } from "./logit-lens-table";
import styles from "./results.module.css";
import { TensorSummary } from "./tensor-summary";
import { TopKList } from "./top-k-list";

type Renderers = {
  [K in ResultView["kind"]]: (props: {
    view: Extract<ResultView, { kind: K }>;
  }) => ReactNode;
};

/** One component per kind: a new kind fails to compile until it is listed here. */
const RENDERERS: Renderers = {
  heatmap: Heatmap,
  "logit-lens": LogitLensTable,
  "top-k": TopKList,
  line: LineChart,
  tensor: TensorSummary,
};

/**
 * A run's results, one section per view, in order. A client component with
 * plain props, so a server component can build the views (buildResultViews)
 * and pass them straight in.
 *
 * @example
 * <ResultViews views={buildResultViews(tensors, { vocabSize, decode })} />
 */
export function ResultViews({ views }: { views: ResultView[] }) {
  if (views.length === 0)
    return <p className={styles.description}>This run saved no tensors.</p>;
  return (
    <div className={styles.views}>
      {views.map((view, i) => (
        <ViewOf key={`${i}:${view.kind}:${view.name}`} view={view} />
      ))}
    </div>
  );
}

function ViewOf({ view }: { view: ResultView }) {
  // The table's type pairs each kind with its component; TypeScript cannot
  // follow that pairing through an indexed access, hence the widening.
  const Render = RENDERERS[view.kind] as (props: {
    view: ResultView;
  }) => ReactNode;
  return <Render view={view} />;
}
