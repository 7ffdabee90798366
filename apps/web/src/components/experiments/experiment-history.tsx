import Link from "next/link";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";

/** One fact of an experiment's stream, as experiments.history lists it. */
type HistoryEntry = CallerOutputs["experiments"]["history"][number];

/** The experiment's event stream as a timeline, with a diff form over its versions. */
export function ExperimentHistory({
  experimentId,
  history,
  latest,
}: {
  experimentId: string;
  history: readonly HistoryEntry[];
  latest: number;
}) {
  const versions = history.filter(
    (x) => x.type === "experiment.version_committed",
  );
  return (
    <section aria-labelledby="history">
      <h2 id="history">History</h2>
      {versions.length >= 2 && (
        <form action={`/experiments/${experimentId}/diff`} className="filters">
          <label>
            Compare version
            <VersionSelect name="from" versions={versions} value={latest - 1} />
          </label>
          <label>
            with version
            <VersionSelect name="to" versions={versions} value={latest} />
          </label>
          <button type="submit" className="secondary">
            Show diff
          </button>
        </form>
      )}
      <ol className="timeline" data-testid="history">
        {history.map((h) => (
          <li key={h.seq}>
            <When at={h.time} /> ·{" "}
            <HistoryLine event={h} experimentId={experimentId} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function HistoryLine({
  event,
  experimentId,
}: {
  event: { type: string } & Record<string, unknown>;
  experimentId: string;
}) {
  const v = event as Record<string, unknown>;
  switch (event.type) {
    case "experiment.created":
      return <>created{v.forkedFrom ? " as a fork" : ""}</>;
    case "experiment.version_committed":
      return (
        <>
          <Link href={`/experiments/${experimentId}?v=${String(v.version)}`}>
            version {String(v.version)}
          </Link>{" "}
          committed:{" "}
          {typeof v.message === "string" && v.message
            ? v.message
            : "no message"}
        </>
      );
    case "experiment.visibility_changed":
      return <>made {String(v.visibility)}</>;
    case "experiment.described":
      return <>details edited</>;
    case "experiment.starred":
      return <>starred</>;
    case "experiment.unstarred":
      return <>unstarred</>;
    default:
      return <>{event.type}</>;
  }
}

/** A select of the experiment's versions (the diff form's two ends). */
function VersionSelect({
  name,
  versions,
  value,
}: {
  name: string;
  versions: readonly { seq: number; version: number | null }[];
  value: number;
}) {
  return (
    <select name={name} defaultValue={String(value)}>
      {versions.map((v) => (
        <option key={v.seq} value={String(v.version)}>
          {v.version}
        </option>
      ))}
    </select>
  );
}
