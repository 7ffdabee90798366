import { reviewAction } from "@/server/actions/admin-actions";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";
import { QuotaFields } from "./quota-fields";

type Application = CallerOutputs["applications"]["pending"][number];

/** The access applications waiting for review, each with its approve and reject forms. */
export function AccessApplications({
  pending,
}: {
  pending: readonly Application[];
}) {
  if (pending.length === 0)
    return (
      <p className="muted" data-testid="no-applications">
        No application is waiting.
      </p>
    );
  return (
    <ul className="plain applications" data-testid="applications">
      {pending.map((a) => (
        <ApplicationCard key={a.userId} application={a} />
      ))}
    </ul>
  );
}

/**
 * One application: who applied and what for, then approval with a quota
 * (the default one filled in) or rejection with a reason the applicant is told.
 */
function ApplicationCard({ application: a }: { application: Application }) {
  return (
    <li className="card" data-testid="application" data-email={a.email}>
      <h3>
        {a.name} <span className="muted small">{a.email}</span>
      </h3>
      <dl className="facts">
        <dt>Affiliation</dt>
        <dd>{a.application.affiliation}</dd>
        <dt>Purpose</dt>
        <dd>{a.application.purpose}</dd>
        <dt>Models</dt>
        <dd>{a.application.modelsWanted?.join(", ") || "not said"}</dd>
        <dt>Expected usage</dt>
        <dd>{a.application.expectedUsage || "not said"}</dd>
        <dt>Submitted</dt>
        <dd>
          <When at={a.submittedAt} />
        </dd>
      </dl>
      <form action={reviewAction} className="filters">
        <input type="hidden" name="userId" value={a.userId} />
        <input type="hidden" name="email" value={a.email} />
        <input type="hidden" name="decision" value="approve" />
        <QuotaFields idPrefix={`approve-${a.userId}`} />
        <button type="submit" data-testid="approve">
          Approve <span className="visually-hidden">{a.email}</span>
        </button>
      </form>
      <form action={reviewAction} className="filters">
        <input type="hidden" name="userId" value={a.userId} />
        <input type="hidden" name="email" value={a.email} />
        <input type="hidden" name="decision" value="reject" />
        <label>
          Reason
          <input name="reason" required placeholder="told to the applicant" />
        </label>
        <button type="submit" className="danger" data-testid="reject">
          Reject <span className="visually-hidden">{a.email}</span>
        </button>
      </form>
    </li>
  );
}
