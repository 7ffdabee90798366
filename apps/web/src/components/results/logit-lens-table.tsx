"use client";
import type { CSSProperties } from "react";
import type { ResultView } from "../../results/result-views";
import { formatPercent } from "./format-number";
import { ResultSection } from "./result-section";
import { ScrollBox } from "./scroll-box";
import styles from "./results.module.css";
import { TokenText } from "./token-text";

type LogitLensView = Extract<ResultView, { kind: "logit-lens" }>;

/**
 * A logit lens as a table: a row per save (layer), its top tokens left to
 * right with their probabilities, each cell shaded by its probability.
 */
export function LogitLensTable({ view }: { view: LogitLensView }) {
  const columns = Math.max(0, ...view.rows.map((r) => r.top.length));
  return (
    <ResultSection
      view={view}
      description={`Logit lens over ${view.rows.length} saves: the ${columns} most likely next tokens at the last position after each one.`}
    >
      <ScrollBox label={`${view.name} logit lens`}>
        <table className={styles.table}>
          <thead>
            <tr>
              <th scope="col">Save</th>
              {Array.from({ length: columns }, (_, k) => (
                <th key={k} scope="col">
                  Top {k + 1}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {view.rows.map((row) => (
              <tr key={row.label} data-testid="logit-lens-row">
                <th scope="row">
                  <code>{row.label}</code>
                </th>
                {Array.from({ length: columns }, (_, k) => {
                  const entry = row.top[k];
                  if (entry === undefined) return <td key={k} />;
                  return (
                    <td
                      key={k}
                      className={styles.lensCell}
                      style={{ "--p": entry.prob } as CSSProperties}
                      data-token-id={entry.id}
                      data-prob={String(entry.prob)}
                    >
                      <TokenText id={entry.id} token={entry.token} />{" "}
                      <span className={styles.num}>
                        {formatPercent(entry.prob)}
                      </span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollBox>
    </ResultSection>
  );
}
