import type { CSSProperties } from "react";
import { ScrollBox } from "./scroll-box";
import styles from "./results.module.css";

/**
 * One head's attention weights as a table: a row per query token, a column per
 * key token, each weight to 3 decimals on a background as strong as the weight
 * (the text keeps full contrast). Cells carry `data-query`, `data-key` and
 * `data-value` (`String(weight)`, the exact float) for tests.
 */
export function AttentionTable({
  caption,
  queryLabels,
  keyLabels,
  weights,
}: {
  caption: string;
  queryLabels: string[];
  keyLabels: string[];
  /** `weights[query][key]`. */
  weights: number[][];
}) {
  return (
    <ScrollBox label={caption}>
      <table className={styles.table} data-testid="attention-table">
        <caption className={styles.caption}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">query \ key</th>
            {keyLabels.map((label, k) => (
              <th key={k} scope="col">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weights.map((row, q) => (
            <tr key={q}>
              <th scope="row">{queryLabels[q]}</th>
              {row.map((weight, k) => (
                <td
                  key={k}
                  className={`${styles.num} ${styles.weightCell}`}
                  style={{ "--p": weight } as CSSProperties}
                  data-testid="attention-cell"
                  data-query={q}
                  data-key={k}
                  data-value={String(weight)}
                >
                  {weight.toFixed(3)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}
