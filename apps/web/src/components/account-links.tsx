import { auth } from "@/server/auth";

/** The header's account corner: who is signed in, or a way to sign in (Auth.js pages). */
export async function AccountLinks() {
  const session = await auth();
  if (!session?.user)
    return (
      <a href="/api/auth/signin" data-testid="sign-in">
        Sign in
      </a>
    );
  return (
    <span className="account" data-testid="signed-in">
      {session.user.email} · <a href="/api/auth/signout">Sign out</a>
    </span>
  );
}
