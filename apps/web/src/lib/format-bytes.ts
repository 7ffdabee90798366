/** Bytes as people read them: "224.1 MiB", "1.50 GiB", "512 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * An engine's memory as one line per category, in the engine's order:
 * "weights 224.1 MiB (peak 224.1 MiB)". Renders whatever categories the
 * engine reports; `total` last, when present.
 */
export function memoryLines(memory: {
  current: Record<string, number>;
  peak: Record<string, number>;
}): { category: string; current: number; peak: number }[] {
  const categories = [
    ...new Set([...Object.keys(memory.current), ...Object.keys(memory.peak)]),
  ].sort((a, b) => Number(a === "total") - Number(b === "total"));
  return categories.map((category) => ({
    category,
    current: memory.current[category] ?? 0,
    peak: memory.peak[category] ?? 0,
  }));
}
