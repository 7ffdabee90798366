import { readFileSync } from "node:fs";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** What `loupe login` stores: the server and the key to call it with. */
export interface LoupeConfig {
  readonly url: string;
  readonly apiKey: string;
}

/** The server scripts talk to when nothing else says (a local `npm start`). */
export const DEFAULT_URL = "http://localhost:3000";

/**
 * `$LOUPE_CONFIG`, else `$XDG_CONFIG_HOME/loupe/config.json`, else
 * `~/.config/loupe/config.json`.
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOUPE_CONFIG) return env.LOUPE_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "loupe", "config.json");
}

/** The stored config, or null when there is none (read synchronously: it is tiny, and createLoupe is sync). */
export function readConfig(file = configPath()): LoupeConfig | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let parsed: Partial<LoupeConfig> | null;
  try {
    parsed = JSON.parse(text) as Partial<LoupeConfig> | null;
  } catch (error) {
    throw new Error(
      `${file} is not valid JSON (${(error as Error).message}); run \`loupe login\` again`,
    );
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof parsed.url !== "string" ||
    typeof parsed.apiKey !== "string"
  )
    throw new Error(
      `${file} is not a Loupe config (expected {"url", "apiKey"}); run \`loupe login\` again`,
    );
  return { url: parsed.url, apiKey: parsed.apiKey };
}

/**
 * Writes the config readable by its owner only (mode 0600, folder 0700): it
 * holds an API key. Written to a temporary file first and renamed, so a
 * crash never leaves half a file, and the key is never readable by others,
 * not even for a moment.
 */
export async function writeConfig(
  config: LoupeConfig,
  file = configPath(),
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, {
    mode: 0o600,
  });
  await chmod(temp, 0o600); // the umask cannot widen it, but an existing file keeps its mode
  await rename(temp, file);
}

/**
 * The server and key to use: explicit options, then env, then the config file.
 * The stored key goes only to the server it was stored for: a different URL
 * never receives it.
 */
export function resolveConnection(
  options: { url?: string; apiKey?: string },
  env: NodeJS.ProcessEnv = process.env,
): { url: string; apiKey: string | undefined } {
  const stored =
    options.url !== undefined && options.apiKey !== undefined
      ? null
      : readConfig(configPath(env));
  // An empty variable counts as unset.
  const url = options.url ?? (env.LOUPE_URL || stored?.url || DEFAULT_URL);
  const storedKey =
    stored && sameServer(stored.url, url) ? stored.apiKey : undefined;
  return {
    url,
    apiKey: options.apiKey ?? (env.LOUPE_API_KEY || storedKey),
  };
}

function sameServer(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return a === b;
  }
}
