/** A timestamp as UTC text, machine-readable in its datetime attribute. */
export function When({ at }: { at: Date | string }) {
  const date = typeof at === "string" ? new Date(at) : at;
  const iso = date.toISOString();
  return <time dateTime={iso}>{iso.slice(0, 16).replace("T", " ")} UTC</time>;
}
