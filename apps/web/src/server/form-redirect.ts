import "server-only";
import { redirect } from "next/navigation";

/**
 * Sends a form back to its page with a message in the query string: forms here
 * are plain HTML posts to server actions, so they work before JavaScript loads.
 */
export function backWith(
  path: string,
  message: { error: string } | { notice: string },
): never {
  const [base, query = ""] = path.split("?");
  const params = new URLSearchParams(query);
  params.delete("error");
  params.delete("notice");
  for (const [k, v] of Object.entries(message)) params.set(k, v);
  redirect(`${base}?${params.toString()}`);
}
