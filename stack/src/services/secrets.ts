import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** The stack's secrets: Auth.js's session key and the seeded administrator's sign-in. */
export interface StackSecrets {
  readonly authSecret: string;
  readonly admin: { readonly email: string; readonly password: string };
}

/**
 * Reads the stack's secrets from `<home>/secrets.json`, creating them (random)
 * on first use, so a restarted stack keeps its sessions and its admin
 * password. AUTH_SECRET, LOUPE_ADMIN_EMAIL and LOUPE_ADMIN_PASSWORD override.
 * The file is readable by its owner only.
 */
export function loadStackSecrets(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): StackSecrets {
  const file = path.join(home, "secrets.json");
  let stored: Partial<{
    authSecret: string;
    adminEmail: string;
    adminPassword: string;
  }> = {};
  if (fs.existsSync(file))
    stored = JSON.parse(fs.readFileSync(file, "utf8")) as typeof stored;
  const secrets = {
    authSecret: stored.authSecret ?? randomBytes(32).toString("base64url"),
    adminEmail: stored.adminEmail ?? "admin@loupe.local",
    adminPassword:
      stored.adminPassword ?? randomBytes(12).toString("base64url"),
  };
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) {
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, {
      mode: 0o600,
    });
  }
  return {
    authSecret: env.AUTH_SECRET ?? secrets.authSecret,
    admin: {
      email: env.LOUPE_ADMIN_EMAIL ?? secrets.adminEmail,
      password: env.LOUPE_ADMIN_PASSWORD ?? secrets.adminPassword,
    },
  };
}
