import "server-only";
import {
  accountOfOAuthIdentity,
  clientAddressFromHeaders,
  endSession,
  RateLimitedError,
  SESSION_MAX_AGE_S,
  startSession,
  signInWithMagicLink,
  signInWithPassword,
} from "@loupe/api";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import type { Provider } from "next-auth/providers";
import { getApiServices } from "./api-services";

/**
 * Auth.js owns sign-in and sessions: a password sign-in (credentials kept in
 * auth_credentials, scrypt-hashed) and, when configured, GitHub OAuth
 * (AUTH_GITHUB_ID and AUTH_GITHUB_SECRET). Sessions are JWTs in an HTTP-only
 * cookie (Auth.js requires JWT sessions with credentials); the token's subject
 * is the Loupe account id, and every domain fact about the account is an event.
 */
/** A client that failed too many sign-ins lately (the sign-in form says so). */
export class SignInThrottled extends CredentialsSignin {
  override code = "rate_limited";
}

const providers: Provider[] = [
  Credentials({
    credentials: {
      email: { label: "Email", type: "email" },
      password: { label: "Password", type: "password" },
    },
    async authorize(credentials, request) {
      const email =
        typeof credentials.email === "string" ? credentials.email : "";
      const password =
        typeof credentials.password === "string" ? credentials.password : "";
      if (!email || !password) return null;
      const { db, rateLimits } = getApiServices();
      const account = await signInWithPassword(db, {
        email,
        password,
        client: clientAddressFromHeaders(request.headers),
        limits: rateLimits,
      }).catch((error: unknown) => {
        if (error instanceof RateLimitedError) throw new SignInThrottled();
        throw error;
      });
      return (
        account && {
          id: account.userId,
          email: account.email,
          name: account.name,
        }
      );
    },
  }),
  // A sign-in link from email: the link's page posts its one-time token here
  // (a button, so a mail scanner that follows links does not spend it).
  Credentials({
    id: "magic-link",
    name: "Email link",
    credentials: { token: { label: "Token", type: "text" } },
    async authorize(credentials) {
      const token =
        typeof credentials.token === "string" ? credentials.token : "";
      if (!token) return null;
      const account = await signInWithMagicLink(getApiServices().db, token);
      return (
        account && {
          id: account.userId,
          email: account.email,
          name: account.name,
        }
      );
    },
  }),
];
if (process.env.AUTH_GITHUB_ID && process.env.AUTH_GITHUB_SECRET)
  providers.push(GitHub);

export const { handlers, auth, signIn, signOut } = NextAuth({
  providers,
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
  // The portal's own pages (a plain form posting to a server action).
  pages: { signIn: "/signin" },
  // The portal runs behind whatever host it is served on (loopback, a proxy).
  trustHost: true,
  events: {
    async signOut(message) {
      const sid = "token" in message ? message.token?.sid : undefined;
      if (typeof sid === "string") await endSession(getApiServices().db, sid);
    },
  },
  callbacks: {
    async jwt({ token, user, account, profile }) {
      if (account && (account.type === "oauth" || account.type === "oidc")) {
        // OAuth: the Loupe account linked to this identity (created on first sign-in).
        token.sub = await accountOfOAuthIdentity(getApiServices().db, {
          provider: account.provider,
          providerAccountId: account.providerAccountId,
          email: profile?.email ?? user?.email ?? "",
          name: profile?.name ?? user?.name ?? "",
        });
      } else if (user?.id) token.sub = user.id;
      // Signing in (not a later read of the cookie): a new revocable session.
      if (user && token.sub)
        token.sid = await startSession(getApiServices().db, token.sub);
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
});
