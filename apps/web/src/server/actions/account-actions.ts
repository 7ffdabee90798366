"use server";
import { formText } from "../form-fields";
import {
  clientAddressFromHeaders,
  createApiContext,
  createCaller,
  createMagicLink,
} from "@loupe/api";
import { AuthError, CredentialsSignin } from "next-auth";
import { headers } from "next/headers";
import { getApiServices } from "../api-services";
import { canSendEmail, sendEmail } from "../outbox";
import { requestOrigin } from "../request-origin";
import { redirect } from "next/navigation";
import { getServerCaller } from "../caller";
import { describeError } from "../describe-error";
import { backWith } from "../form-redirect";
import { signIn, signOut } from "../auth";

/** Only paths on this site: a callback URL from the query string must not send people elsewhere. */
const safeReturn = (value: string, fallback: string) =>
  value.startsWith("/") && !value.startsWith("//") ? value : fallback;

export async function signInAction(form: FormData) {
  const callbackUrl = safeReturn(formText(form, "callbackUrl"), "/gallery");
  try {
    await signIn("credentials", {
      email: formText(form, "email"),
      password: formText(form, "password"),
      redirectTo: callbackUrl,
    });
  } catch (error) {
    // A successful sign-in "throws" Next's redirect; only Auth.js errors are failures.
    if (error instanceof AuthError)
      backWith(`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`, {
        error:
          error instanceof CredentialsSignin && error.code === "rate_limited"
            ? "Too many failed sign-ins from your address: wait a few minutes, or ask for a sign-in link."
            : "That email and password do not match an account.",
      });
    throw error;
  }
}

export async function signUpAction(form: FormData) {
  // Sign-ups are limited per client address, and a taken email's owner is
  // emailed: the caller carries both.
  const services = getApiServices();
  const caller = createCaller(
    createApiContext(
      canSendEmail() ? { ...services, mailer: { send: sendEmail } } : services,
      null,
      clientAddressFromHeaders(await headers()),
    ),
  );
  const input = {
    email: formText(form, "email").trim(),
    name: formText(form, "name"),
    password: formText(form, "password"),
  };
  try {
    await caller.account.signUp(input);
  } catch (error) {
    backWith("/signup", { error: describeError(error) });
  }
  try {
    await signIn("credentials", {
      email: input.email,
      password: input.password,
      redirectTo: "/apply",
    });
  } catch (error) {
    // The email had an account already (sign-up said nothing of it; its
    // owner got an email), and this is not its password.
    if (error instanceof AuthError)
      backWith("/signin", {
        notice: `If ${input.email} already had an account, we emailed it: sign in with its password, or ask for a sign-in link.`,
      });
    throw error;
  }
}

export async function signOutAction() {
  await signOut({ redirectTo: "/" });
}

/**
 * Sets a new password for the signed-in account; every session (this one
 * too), sign-in link and API key of the account ends, so it signs in again.
 */
export async function resetPasswordAction(form: FormData) {
  const caller = await getServerCaller();
  const newPassword = formText(form, "newPassword");
  if (newPassword !== formText(form, "confirmPassword"))
    backWith("/profile", { error: "The two passwords differ." });
  let revokedKeys = 0;
  try {
    ({ revokedKeys } = await caller.account.resetPassword({ newPassword }));
  } catch (error) {
    backWith("/profile", { error: describeError(error) });
  }
  await signOut({
    redirectTo: `/signin?notice=${encodeURIComponent(
      `Password changed: every session of your account ended${revokedKeys > 0 ? ` and its ${revokedKeys} API key${revokedKeys === 1 ? " was" : "s were"} revoked` : ""}. Sign in with the new password.`,
    )}`,
  });
}

export async function applyAction(form: FormData) {
  const caller = await getServerCaller();
  try {
    await caller.applications.submit({
      affiliation: formText(form, "affiliation"),
      purpose: formText(form, "purpose"),
      modelsWanted: form
        .getAll("modelsWanted")
        .filter((m): m is string => typeof m === "string"),
      expectedUsage: formText(form, "expectedUsage"),
    });
  } catch (error) {
    backWith("/apply", { error: describeError(error) });
  }
  redirect(
    "/apply?notice=" +
      encodeURIComponent(
        "Application submitted: an administrator will review it.",
      ),
  );
}

/** Emails a one-time sign-in link (development: to the outbox folder). */
export async function sendMagicLinkAction(form: FormData) {
  const callbackUrl = safeReturn(formText(form, "callbackUrl"), "/gallery");
  const email = formText(form, "email").trim();
  if (!/^[^@\s]+@[^@\s]+$/.test(email))
    backWith("/signin", { error: `"${email}" is not an email address` });
  let link: Awaited<ReturnType<typeof createMagicLink>>;
  try {
    link = await createMagicLink(getApiServices().db, email, {
      client: clientAddressFromHeaders(await headers()),
      limits: getApiServices().rateLimits,
    });
  } catch (error) {
    backWith("/signin", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  const url = `${await requestOrigin()}/signin/link?token=${link.token}&callbackUrl=${encodeURIComponent(callbackUrl)}`;
  await sendEmail({
    to: link.email,
    subject: "Your Loupe sign-in link",
    text: `Sign in to Loupe (new here? this creates your account):\r\n\r\n${url}\r\n\r\nThe link works once, for 15 minutes. If you did not ask for it, ignore this email.`,
  });
  backWith("/signin", {
    notice: `A sign-in link is on its way to ${link.email}. It works once, for 15 minutes.`,
  });
}

export async function signInWithLinkAction(form: FormData) {
  const callbackUrl = safeReturn(formText(form, "callbackUrl"), "/gallery");
  try {
    await signIn("magic-link", {
      token: formText(form, "token"),
      redirectTo: callbackUrl,
    });
  } catch (error) {
    if (error instanceof AuthError)
      backWith("/signin", {
        error:
          "That sign-in link is used, expired or unknown: ask for a new one.",
      });
    throw error;
  }
}
