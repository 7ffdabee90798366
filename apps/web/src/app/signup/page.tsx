import type { Metadata } from "next";
import Link from "next/link";
import { signUpAction } from "@/server/actions/account-actions";
import { FormMessage } from "@/components/form-message";

export const metadata: Metadata = { title: "Sign up" };

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { error } = await searchParams;
  return (
    <section className="page narrow">
      <h1>Create your Loupe account</h1>
      <p className="muted">
        Anyone can browse and fork public experiments and run graphs on their
        own machine. Running on hosted models needs an approved access
        application, the next step after this one.
      </p>
      <FormMessage error={error} />
      <form action={signUpAction} className="form">
        <label>
          Name
          <input name="name" autoComplete="name" required maxLength={100} />
        </label>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password <span className="muted small">(at least 10 characters)</span>
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={10}
            required
          />
        </label>
        <button type="submit">Sign up</button>
      </form>
      <p className="muted">
        Already have an account? <Link href="/signin">Sign in</Link>.
      </p>
    </section>
  );
}
