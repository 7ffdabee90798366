import { DEFAULT_QUOTA } from "@loupe/api";
import type { CallerOutputs } from "@/lib/api-outputs";

/** The four limits of a quota, as admin.usage reports an account's. */
type QuotaValues = NonNullable<
  CallerOutputs["admin"]["usage"][number]["limits"]
>;

/** The four limits of a quota as form fields (defaults: what an approval grants). */
export function QuotaFields({
  quota = DEFAULT_QUOTA,
  idPrefix,
}: {
  quota?: QuotaValues;
  idPrefix: string;
}) {
  const fields = [
    [
      "computeSecondsPerDay",
      "Compute s/day",
      quota.computeSecondsPerDay,
      "any",
    ],
    ["maxConcurrentRuns", "Concurrent runs", quota.maxConcurrentRuns, "1"],
    ["maxRunsPerDay", "Runs/day", quota.maxRunsPerDay, "1"],
    ["maxResultMiB", "Result MiB/day", quota.maxResultBytes / 1024 ** 2, "any"],
  ] as const;
  return (
    <span className="quota-fields">
      {fields.map(([name, label, value, step]) => (
        <label key={name} htmlFor={`${idPrefix}-${name}`}>
          {label}
          <input
            id={`${idPrefix}-${name}`}
            name={name}
            type="number"
            min={0}
            step={step}
            defaultValue={value}
            required
          />
        </label>
      ))}
    </span>
  );
}
