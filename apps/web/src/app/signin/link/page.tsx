import type { Metadata } from "next";
import { signInWithLinkAction } from "@/server/actions/account-actions";

export const metadata: Metadata = { title: "Sign in with your link" };

/**
 * Where an emailed sign-in link lands. The token is spent by the button's
 * post, not by opening the page, so link scanners and previews cannot use it up.
 */
export default async function SignInLinkPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { token = "", callbackUrl = "/gallery" } = await searchParams;
  return (
    <section className="page narrow">
      <h1>Sign in to Loupe</h1>
      <form action={signInWithLinkAction} className="form">
        <input type="hidden" name="token" value={token} />
        <input type="hidden" name="callbackUrl" value={callbackUrl} />
        <button type="submit" data-testid="use-link">
          Continue
        </button>
      </form>
    </section>
  );
}
