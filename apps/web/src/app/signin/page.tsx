import type { Metadata } from "next";
import Link from "next/link";
import {
  sendMagicLinkAction,
  signInAction,
} from "@/server/actions/account-actions";
import { canSendEmail } from "@/server/outbox";
import { FormMessage } from "@/components/form-message";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { callbackUrl = "/gallery", error, notice } = await searchParams;
  return (
    <section className="page narrow">
      <h1>Sign in</h1>
      <FormMessage error={error} notice={notice} />
      <form action={signInAction} className="form">
        <input type="hidden" name="callbackUrl" value={callbackUrl} />
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
      {canSendEmail() && (
        <>
          <h2>Or get a sign-in link by email</h2>
          <form action={sendMagicLinkAction} className="form">
            <input type="hidden" name="callbackUrl" value={callbackUrl} />
            <label>
              Your email
              <input name="email" type="email" autoComplete="email" required />
            </label>
            <button type="submit" className="secondary">
              Email me a link
            </button>
          </form>
        </>
      )}
      <p className="muted">
        No account yet? <Link href="/signup">Sign up</Link>.
      </p>
    </section>
  );
}
