import type { RunResultViews } from "@/server/run-results";
import { ResultViews } from "@/components/results/result-views";

/** A completed run's saved values: download links, and the views drawn from them. */
export function RunResults({
  result,
  resultUrl,
}: {
  result: RunResultViews;
  resultUrl: string | null;
}) {
  return (
    <section aria-labelledby="results">
      <h2 id="results">Results</h2>
      <p className="small">
        Download:{" "}
        <a href={`${resultUrl}`} download>
          safetensors
        </a>{" "}
        ·{" "}
        <a href={`${resultUrl}?format=json`} download>
          JSON
        </a>{" "}
        <span className="muted">
          ({(result.byteSize / 1024).toFixed(1)} KiB)
        </span>
      </p>
      {result.kind === "too-large" ? (
        <p>This result is too large to draw here: download it.</p>
      ) : (
        <ResultViews views={result.views} />
      )}
    </section>
  );
}
