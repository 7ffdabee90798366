import "server-only";
import { redirect } from "next/navigation";
import { getServerCaller } from "./caller";

/**
 * The signed-in account for a page that needs one; otherwise a redirect to
 * the sign-in page, which comes back to `returnTo`.
 */
export async function requireAccount(returnTo: string) {
  const caller = await getServerCaller();
  const me = await caller.account.me().catch(() => null);
  if (!me) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return { caller, me };
}

/** The signed-in account, or null (pages anyone may see). */
export async function currentAccount() {
  const caller = await getServerCaller();
  return { caller, me: await caller.account.me().catch(() => null) };
}
