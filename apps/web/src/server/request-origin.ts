import "server-only";
import { headers } from "next/headers";

/** The origin this request reached the portal at (for links in emails, keys, citations). */
export async function requestOrigin(): Promise<string> {
  const h = await headers();
  return `${h.get("x-forwarded-proto") ?? "http"}://${h.get("host") ?? "localhost"}`;
}
