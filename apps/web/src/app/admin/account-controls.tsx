import {
  disableAccountAction,
  enableAccountAction,
  revokeUserKeysAction,
} from "@/server/actions/admin-actions";
import { When } from "@/components/when";

/**
 * Disable or enable an account, and revoke its API keys: disabling ends its
 * sessions, sign-in links and keys at once (administrators cannot disable
 * themselves).
 */
export function AccountControls({
  userId,
  email,
  self,
  disabledAt,
}: {
  userId: string;
  email: string;
  self: boolean;
  disabledAt: Date | null;
}) {
  return (
    <div className="filters compact">
      {disabledAt ? (
        <form action={enableAccountAction}>
          <input type="hidden" name="userId" value={userId} />
          <input type="hidden" name="email" value={email} />
          <span className="small" data-testid="account-disabled">
            disabled <When at={disabledAt} />
          </span>{" "}
          <button type="submit" className="secondary">
            Enable <span className="visually-hidden">{email}</span>
          </button>
        </form>
      ) : (
        !self && (
          <form action={disableAccountAction}>
            <input type="hidden" name="userId" value={userId} />
            <input type="hidden" name="email" value={email} />
            <label htmlFor={`disable-reason-${userId}`}>Reason</label>
            <input
              id={`disable-reason-${userId}`}
              name="reason"
              required
              maxLength={500}
            />
            <button type="submit" className="danger">
              Disable <span className="visually-hidden">{email}</span>
            </button>
          </form>
        )
      )}
      <form action={revokeUserKeysAction}>
        <input type="hidden" name="userId" value={userId} />
        <input type="hidden" name="email" value={email} />
        <button type="submit" className="secondary">
          Revoke API keys <span className="visually-hidden">of {email}</span>
        </button>
      </form>
    </div>
  );
}
