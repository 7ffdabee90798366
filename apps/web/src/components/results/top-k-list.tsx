"use client";
import type { ResultView } from "../../results/result-views";
import { formatNumber, formatPercent } from "./format-number";
import { ResultSection } from "./result-section";
import styles from "./results.module.css";
import { TokenText } from "./token-text";

type TopKView = Extract<ResultView, { kind: "top-k" }>;

/**
 * The most likely next tokens of a logits tensor, as an ordered list: each
 * token with its probability (as text and as a bar) and its logit.
 */
export function TopKList({ view }: { view: TopKView }) {
  return (
    <ResultSection
      view={view}
      description={`The ${view.entries.length} most likely next tokens at the ${view.position}.`}
    >
      <ol className={styles.topK}>
        {view.entries.map((entry, k) => (
          <li
            key={entry.id}
            data-testid="top-k-entry"
            data-token-id={entry.id}
            data-prob={String(entry.prob)}
          >
            {/* The list's own markers vanish with display: grid; the list still announces positions. */}
            <span className={styles.rank} aria-hidden="true">
              {k + 1}.
            </span>
            <TokenText id={entry.id} token={entry.token} />
            <span className={styles.bar} aria-hidden="true">
              <span style={{ width: `${entry.prob * 100}%` }} />
            </span>
            <span className={styles.num}>{formatPercent(entry.prob)}</span>
            <span className={styles.num}>
              logit {formatNumber(entry.logit, 3)}
            </span>
          </li>
        ))}
      </ol>
    </ResultSection>
  );
}
