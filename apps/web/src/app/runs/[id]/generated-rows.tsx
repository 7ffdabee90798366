import type { GeneratedRow } from "@loupe/graph";

/**
 * A generation's text so far, a paragraph per prompt row: its prompt (when
 * the graph gave one as text), then what it generated, and the token count.
 */
export function GeneratedRows({
  generated,
  prompts,
  ended,
}: {
  generated: readonly GeneratedRow[];
  /** The text prompt of each row ("trace/invoke/row"). */
  prompts: Record<string, string>;
  ended: boolean;
}) {
  if (generated.length === 0) return null;
  const traces = new Set(generated.map((r) => r.trace));
  return (
    <section
      aria-labelledby="generated-heading"
      data-testid="generated"
      aria-live="polite"
    >
      <h2 id="generated-heading">Generated{ended ? "" : " (live)"}</h2>
      {generated.map((r) => {
        const key = `${r.trace}/${r.invoke}/${r.row}`;
        return (
          <p
            key={key}
            className="generated-row"
            data-testid="generated-row"
            data-row={key}
            data-tokens={r.ids.length}
          >
            {traces.size > 1 && (
              <span className="small muted">trace {r.trace}: </span>
            )}
            {prompts[key] !== undefined && (
              <span className="muted">{prompts[key]}</span>
            )}
            <strong data-testid="generated-text">
              {r.text ?? r.ids.join(" ")}
            </strong>
            <span className="small muted">
              {" "}
              ({r.ids.length} token{r.ids.length === 1 ? "" : "s"})
            </span>
          </p>
        );
      })}
    </section>
  );
}
