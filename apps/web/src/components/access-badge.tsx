const LABELS: Record<string, string> = {
  none: "not applied",
  pending: "pending review",
  approved: "approved",
  rejected: "rejected",
};

/** Where an account's access application stands, in words (not colour alone). */
export function AccessBadge({ access }: { access: string }) {
  return (
    <span
      className={`pill access-${access}`}
      data-testid="access-status"
      data-access={access}
    >
      {LABELS[access] ?? access}
    </span>
  );
}
