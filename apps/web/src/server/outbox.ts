import "server-only";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { getWebEnv } from "./env";

/** Whether this server can send sign-in emails (development: to the outbox folder). */
export const canSendEmail = () => getWebEnv().LOUPE_OUTBOX_DIR !== undefined;

/**
 * "Sends" an email by writing it as an RFC 5322 .eml file to the outbox
 * folder, one file per message, newest last by name. A production deployment
 * would put a mail transport here; none is configured in this environment.
 */
export async function sendEmail(message: {
  to: string;
  subject: string;
  text: string;
}): Promise<string> {
  const dir = getWebEnv().LOUPE_OUTBOX_DIR;
  if (!dir) throw new Error("no outbox is configured (LOUPE_OUTBOX_DIR)");
  await mkdir(dir, { recursive: true });
  const file = path.join(
    dir,
    `${new Date().toISOString().replace(/[:.]/g, "-")}-${message.to.replace(/[^a-z0-9@._-]/gi, "_")}.eml`,
  );
  await writeFile(
    file,
    [
      "From: Loupe <loupe@localhost>",
      `To: ${message.to}`,
      `Subject: ${message.subject}`,
      `Date: ${new Date().toUTCString()}`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      message.text,
      "",
    ].join("\r\n"),
    { mode: 0o600 },
  );
  return file;
}
