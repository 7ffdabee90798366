import { formatBytes, memoryLines } from "@/lib/format-bytes";

/** An engine's memory by category (whatever the engine reports): now and at its peak. */
export function EngineMemory({
  memory,
}: {
  memory: {
    current: Record<string, number>;
    peak: Record<string, number>;
  } | null;
}) {
  if (!memory) return <span className="muted">not reported</span>;
  return (
    <ul className="plain small" data-testid="engine-memory">
      {memoryLines(memory).map((line) => (
        <li key={line.category} data-category={line.category}>
          {line.category} {formatBytes(line.current)}{" "}
          <span className="muted">(peak {formatBytes(line.peak)})</span>
        </li>
      ))}
    </ul>
  );
}
