"use client";
import { useActionState } from "react";
import {
  createKeyAction,
  type CreateKeyState,
} from "@/server/actions/key-actions";

const SCOPES = [
  ["runs:read", "read your runs and results"],
  ["runs:write", "submit and cancel runs"],
  ["experiments:read", "read experiments"],
  ["experiments:write", "push, fork and star experiments"],
] as const;
/** Administrators only, and never ticked by default. */
const ADMIN_SCOPES = [
  ["models:host", "host and unhost models (loupe models host)"],
] as const;

/** Creates a key and shows its secret once, with the line that uses it. */
export function CreateKeyForm({
  origin,
  admin = false,
}: {
  origin: string;
  /** Offer the administrators' scopes. */
  admin?: boolean;
}) {
  const [state, action, pending] = useActionState<CreateKeyState, FormData>(
    createKeyAction,
    {},
  );
  return (
    <div>
      <form action={action} className="form">
        <label>
          Name
          <input
            name="name"
            required
            maxLength={100}
            placeholder="laptop scripts"
          />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map(([scope, what]) => (
            <label key={scope} className="check">
              <input
                type="checkbox"
                name="scopes"
                value={scope}
                defaultChecked
              />
              <code>{scope}</code> <span className="muted small">{what}</span>
            </label>
          ))}
          {admin &&
            ADMIN_SCOPES.map(([scope, what]) => (
              <label key={scope} className="check">
                <input type="checkbox" name="scopes" value={scope} />
                <code>{scope}</code> <span className="muted small">{what}</span>
              </label>
            ))}
        </fieldset>
        <button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create key"}
        </button>
      </form>
      {state.error && (
        <p role="alert" className="alert error" data-testid="form-error">
          {state.error}
        </p>
      )}
      {state.created && (
        <div className="alert notice" role="status" data-testid="new-key">
          <p>
            <strong>{state.created.name}</strong>: copy this key now. Loupe
            keeps only its hash and cannot show it again.
          </p>
          <pre>
            <code data-testid="new-key-secret">{state.created.key}</code>
          </pre>
          <p className="small">
            Use it from a shell (or store it with{" "}
            <code>npx loupe login --url {origin}</code>, pasting the key):
          </p>
          <pre>
            <code>{`export LOUPE_URL=${origin}\nexport LOUPE_API_KEY=${state.created.key}`}</code>
          </pre>
        </div>
      )}
    </div>
  );
}
