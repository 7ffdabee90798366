import { Command } from "commander";
import { configPath, DEFAULT_URL, writeConfig } from "../client/config-file.ts";
import { createLoupe } from "../client/loupe.ts";
import type { CliContext } from "./cli-context.ts";

/**
 * `loupe login`: checks an API key against the server and stores both in the
 * config file (mode 0600). The key comes from --key, LOUPE_API_KEY or stdin
 * (so it stays out of shell history: `loupe login < key.txt`).
 */
export function buildLoginCommand(context: CliContext): Command {
  return new Command("login")
    .description(
      "Store the server URL and an API key (created on the portal's API keys page, /keys) in the config file, readable only by you.",
    )
    .option(
      "--url <url>",
      "the Loupe server (default: LOUPE_URL, else http://localhost:3000)",
    )
    .option("--key <key>", "the API key (default: LOUPE_API_KEY, else stdin)")
    .action(async (opts: { url?: string; key?: string }) => {
      const url = opts.url ?? (context.env.LOUPE_URL || DEFAULT_URL);
      const apiKey =
        opts.key ?? (context.env.LOUPE_API_KEY || (await readStdin()).trim());
      if (!apiKey)
        throw new Error(
          "no API key given: pass --key, set LOUPE_API_KEY, or pipe it on stdin",
        );
      const me = await createLoupe({ url, apiKey }).me();
      const file = configPath(context.env);
      await writeConfig({ url, apiKey }, file);
      context.out(
        `logged in to ${url} as ${me.email} (access: ${me.access}); key stored in ${file} (mode 600)\n`,
      );
    });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}
