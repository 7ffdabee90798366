import "server-only";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getServerCaller } from "./caller";

/** The signed-in account (null if none), asked once per request: the header and the page both need it. */
const signedInAccount = cache(async () =>
  (await getServerCaller()).account.me().catch(() => null),
);

/**
 * The signed-in account for a page that needs one; otherwise a redirect to
 * the sign-in page, which comes back to `returnTo`.
 */
export async function requireAccount(returnTo: string) {
  const [caller, me] = await Promise.all([
    getServerCaller(),
    signedInAccount(),
  ]);
  if (!me) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return { caller, me };
}

/** The signed-in account, or null (pages anyone may see). */
export async function currentAccount() {
  const [caller, me] = await Promise.all([
    getServerCaller(),
    signedInAccount(),
  ]);
  return { caller, me };
}
