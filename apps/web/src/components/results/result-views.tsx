"use client";
import type { ReactNode } from "react";
import type { GenericResultView, ResultView } from "../../results/result-views";
import { AttentionView } from "./attention-view";
import { Heatmap } from "./heatmap";
import { LineChart } from "./line-chart";
import { LogitLensTable } from "./logit-lens-table";
import styles from "./results.module.css";
import { TensorSummary } from "./tensor-summary";
import { TopKList } from "./top-k-list";
import { ViewSwitch } from "./view-switch";

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
  attention: AttentionResult,
};

/** What the switch calls each generic view, when an attention view offers it. */
const GENERIC_LABELS: Record<GenericResultView["kind"], string> = {
  heatmap: "Heatmap",
  "logit-lens": "Logit lens",
  "top-k": "Top tokens",
  line: "Line chart",
  tensor: "Tensor summary",
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

/** An attention pattern, switchable to the view any tensor of its shape gets. */
function AttentionResult({
  view,
}: {
  view: Extract<ResultView, { kind: "attention" }>;
}) {
  return (
    <ViewSwitch
      name={view.name}
      choices={[
        { label: "Attention", content: <AttentionView view={view} /> },
        {
          label: GENERIC_LABELS[view.generic.kind],
          content: <ViewOf view={view.generic} />,
        },
      ]}
    />
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
