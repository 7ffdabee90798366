import { formatGraphDiff, type GraphDiff } from "@loupe/graph";
import styles from "./graph-diff-view.module.css";
import { groupGraphDiff, type DiffRow } from "./group-graph-diff";

/** The summary's phrases, one per kind of row: [change, singular, plural]. */
const SUMMARY: readonly (readonly [DiffRow["change"], string, string])[] = [
  ["input", "invoke input changed", "invoke inputs changed"],
  ["invoke-added", "invoke added", "invokes added"],
  ["invoke-removed", "invoke removed", "invokes removed"],
  ["constant", "constant changed", "constants changed"],
  ["changed", "step changed", "steps changed"],
  ["removed", "step removed", "steps removed"],
  ["added", "step added", "steps added"],
  ["recomputed", "step recomputed", "steps recomputed"],
];

/** A marked line: "+"/"−" and a word, so a change reads without color. */
function Line({
  sign,
  word,
  text,
  note,
}: {
  sign: "+" | "−" | "~";
  word: string;
  text: string;
  note?: string;
}) {
  const tone =
    sign === "+" ? styles.plus : sign === "−" ? styles.minus : styles.same;
  return (
    <div className={`${styles.line} ${tone}`}>
      <span className={styles.sign} aria-hidden="true">
        {sign}
      </span>
      <span className={styles.word}>{word}</span>
      <code className={styles.code}>{text}</code>
      {note && <span className={styles.note}>({note})</span>}
    </div>
  );
}

/** The before and after lines of a row. Words name the change for screen readers too. */
function Row({ row }: { row: DiffRow }) {
  switch (row.change) {
    case "input":
      return (
        <>
          <Line sign="−" word="input before" text={row.before} />
          <Line sign="+" word="input after" text={row.after} />
        </>
      );
    case "invoke-added":
      return <Line sign="+" word="invoke added" text={row.after} />;
    case "invoke-removed":
      return <Line sign="−" word="invoke removed" text={row.before} />;
    case "constant":
      return (
        <>
          <Line sign="−" word="constant before" text={row.before} />
          <Line sign="+" word="constant after" text={row.after} />
        </>
      );
    case "changed":
      return (
        <>
          <Line sign="−" word="changed from" text={row.before} />
          <Line sign="+" word="changed to" text={row.after} />
        </>
      );
    case "removed":
      return <Line sign="−" word="removed" text={row.before} />;
    case "added":
      return <Line sign="+" word="added" text={row.after} />;
    case "recomputed":
      return (
        <Line
          sign="~"
          word="recomputed"
          text={row.after}
          note="same step, an input changed"
        />
      );
  }
}

/**
 * A version diff of an intervention graph, grouped by invoke: input changes,
 * constants and steps changed (before and after), steps removed and added, and
 * the steps that only follow from a change. Every line carries "+"/"−" and a
 * word, not color alone. The exact text diff (formatGraphDiff) sits under "as text".
 *
 * @example
 * <GraphDiffView diff={diffGraphs(v1.graph, v2.graph)} fromVersion={1} toVersion={2} />
 */
export function GraphDiffView({
  diff,
  fromVersion,
  toVersion,
}: {
  diff: GraphDiff;
  fromVersion: number;
  toVersion: number;
}) {
  const heading = `Changes from version ${fromVersion} to version ${toVersion}`;
  if (diff.same)
    return (
      <section
        className={styles.diff}
        data-testid="graph-diff"
        aria-label={heading}
      >
        <p className={styles.summary}>
          No differences: version {toVersion} has the same graph as version{" "}
          {fromVersion}.
        </p>
      </section>
    );

  const groups = groupGraphDiff(diff);
  const rows = groups.flatMap((g) => g.rows);
  const parts = [
    ...(diff.model ? ["model changed"] : []),
    ...SUMMARY.flatMap(([change, one, many]) => {
      const n = rows.filter((r) => r.change === change).length;
      return n > 0 ? [`${n} ${n === 1 ? one : many}`] : [];
    }),
  ];

  return (
    <section
      className={styles.diff}
      data-testid="graph-diff"
      aria-label={heading}
    >
      <p className={styles.summary}>
        {heading}: {parts.join(", ")}.
      </p>
      {diff.model && (
        <section className={styles.group}>
          <h3 className={styles.title}>Model</h3>
          <Line
            sign="−"
            word="model before"
            text={diff.model.before ?? "(none)"}
          />
          <Line
            sign="+"
            word="model after"
            text={diff.model.after ?? "(none)"}
          />
        </section>
      )}
      {groups.map((g) => (
        <section key={`${g.trace}:${g.invoke}`} className={styles.group}>
          <h3 className={styles.title}>
            Trace {g.trace}, invoke {g.invoke}
          </h3>
          {g.rows.map((row, i) => (
            <Row key={i} row={row} />
          ))}
        </section>
      ))}
      <details className={styles.text}>
        <summary>as text</summary>
        <pre tabIndex={0} role="region" aria-label="The diff as text">
          {formatGraphDiff(diff)}
        </pre>
      </details>
    </section>
  );
}
