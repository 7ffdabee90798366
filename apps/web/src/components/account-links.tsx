import Link from "next/link";
import { signOutAction } from "@/server/actions/account-actions";
import { currentAccount } from "@/server/session";

/** The header's account corner: who is signed in (and their pages), or sign in / sign up. */
export async function AccountLinks() {
  const { me } = await currentAccount();
  if (!me)
    return (
      <span className="account">
        <Link href="/signin" data-testid="sign-in">
          Sign in
        </Link>
        <Link href="/signup" className="button small-button">
          Sign up
        </Link>
      </span>
    );
  return (
    <span className="account" data-testid="signed-in">
      {me.role === "admin" && <Link href="/admin">Admin</Link>}
      <Link href="/keys">API keys</Link>
      <Link href="/profile" data-testid="profile-link">
        {me.email}
      </Link>
      <form action={signOutAction}>
        <button type="submit" className="link-button">
          Sign out
        </button>
      </form>
    </span>
  );
}
