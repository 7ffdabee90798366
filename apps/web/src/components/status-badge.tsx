/** A status shown as words and a colour, so it reads without colour too. */
export function StatusBadge({
  healthy,
  label,
}: {
  healthy: boolean;
  label?: string;
}) {
  return (
    <span className={healthy ? "badge ok" : "badge bad"}>
      <span aria-hidden="true">{healthy ? "●" : "▲"}</span>{" "}
      {label ?? (healthy ? "Healthy" : "Unhealthy")}
    </span>
  );
}
