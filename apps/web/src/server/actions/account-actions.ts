"use server";
import { AuthError } from "next-auth";
import { redirect } from "next/navigation";
import { getServerCaller } from "../caller";
import { describeError } from "../describe-error";
import { backWith } from "../form-redirect";
import { signIn, signOut } from "../auth";

const text = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
};

/** Only paths on this site: a callback URL from the query string must not send people elsewhere. */
const safeReturn = (value: string, fallback: string) =>
  value.startsWith("/") && !value.startsWith("//") ? value : fallback;

export async function signInAction(form: FormData) {
  const callbackUrl = safeReturn(text(form, "callbackUrl"), "/gallery");
  try {
    await signIn("credentials", {
      email: text(form, "email"),
      password: text(form, "password"),
      redirectTo: callbackUrl,
    });
  } catch (error) {
    // A successful sign-in "throws" Next's redirect; only Auth.js errors are failures.
    if (error instanceof AuthError)
      backWith(`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`, {
        error: "That email and password do not match an account.",
      });
    throw error;
  }
}

export async function signUpAction(form: FormData) {
  const caller = await getServerCaller();
  const input = {
    email: text(form, "email").trim(),
    name: text(form, "name"),
    password: text(form, "password"),
  };
  try {
    await caller.account.signUp(input);
  } catch (error) {
    backWith("/signup", { error: describeError(error) });
  }
  await signIn("credentials", {
    email: input.email,
    password: input.password,
    redirectTo: "/apply",
  });
}

export async function signOutAction() {
  await signOut({ redirectTo: "/" });
}

export async function applyAction(form: FormData) {
  const caller = await getServerCaller();
  try {
    await caller.applications.submit({
      affiliation: text(form, "affiliation"),
      purpose: text(form, "purpose"),
      modelsWanted: form
        .getAll("modelsWanted")
        .filter((m): m is string => typeof m === "string"),
      expectedUsage: text(form, "expectedUsage"),
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
