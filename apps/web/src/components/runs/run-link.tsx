import Link from "next/link";

/** A link to a run's page, named by the first 8 characters of its id. */
export function RunLink({ runId }: { runId: string }) {
  return (
    <Link href={`/runs/${runId}`}>
      <code>{runId.slice(0, 8)}</code>
    </Link>
  );
}
