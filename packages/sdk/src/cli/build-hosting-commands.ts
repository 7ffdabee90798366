import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { LoupeClientError } from "../errors/loupe-client-error.ts";
import type { CliContext } from "./cli-context.ts";

/** States a host request ends in (for --wait). */
const SETTLED = new Set(["online", "refused", "failed", "unhosted"]);

/**
 * Where the workers will read a model's files: an s3:// URL as given, or a
 * path made absolute (a relative path is resolved here, so `loupe models host
 * models/gpt2/model.onnx` works on one machine; on a cluster give the path as
 * the workers mount it).
 */
export function resolveModelSource(source: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  return path.resolve(cwd, source);
}

/**
 * The model's name from the manifest `loupe models import` wrote beside a
 * local .onnx (`<stem>.manifest.json`); undefined when it cannot be read here
 * (an s3:// URL, or a path only the workers see).
 */
export async function nameFromManifest(
  onnxPath: string,
): Promise<string | undefined> {
  if (!onnxPath.startsWith("/")) return undefined;
  const manifest = path.join(
    path.dirname(onnxPath),
    `${path.basename(onnxPath, path.extname(onnxPath))}.manifest.json`,
  );
  try {
    await access(manifest);
    const file = JSON.parse(await readFile(manifest, "utf8")) as {
      manifest?: { model?: { name?: unknown } };
    };
    const name = file.manifest?.model?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Adds `loupe models host` and `loupe models unhost` to `models`: an
 * administrator's key (with the models:host scope) hosts a model while Loupe
 * runs, from files the workers read (only the location is sent), and unhosts
 * it.
 */
export function addHostingCommands(models: Command, context: CliContext): void {
  models
    .command("host")
    .description(
      "Host a model while Loupe runs (administrators; a key with the models:host scope): the workers read its files from the given path (as they see it) or s3:// URL, nothing is uploaded. The model must be imported (loupe models import), its manifest beside it.",
    )
    .argument(
      "<path-or-url>",
      "the model's .onnx: an absolute path on storage the workers share, or s3://bucket/folder/model.onnx",
    )
    .option(
      "--name <name>",
      "the model's name in its manifest (default: read from <stem>.manifest.json when the file is readable here)",
      parseName,
    )
    .option("--wait", "wait until it is online, refused or failed")
    .action(async (source: string, opts: { name?: string; wait?: boolean }) => {
      const location = resolveModelSource(source, process.cwd());
      const name = opts.name ?? (await nameFromManifest(location));
      if (!name)
        throw new LoupeClientError(
          "BAD_REQUEST",
          `cannot read the manifest of ${location} here: give the model's name with --name (the name in its manifest, from loupe models import)`,
        );
      const client = context.client();
      const hosted = await client.api.call(`hosting model ${name}`, (t) =>
        t.models.host.mutate({ name, source: location }),
      );
      context.out(
        `hosting ${hosted.name} requested from ${location}: workers load it now (loupe models ls shows its state)\n`,
      );
      if (!opts.wait) return;
      let last = "requested";
      for (;;) {
        const model = (await client.models()).find((m) => m.name === name);
        const state = model?.state ?? "requested";
        if (state !== last) {
          context.out(
            `${name}: ${state}${model?.reason ? `: ${model.reason}` : ""}\n`,
          );
          last = state;
        }
        if (SETTLED.has(state)) {
          if (state !== "online")
            throw new LoupeClientError(
              "CONFLICT",
              `model ${name} was not hosted: ${state}${model?.reason ? `: ${model.reason}` : ""}`,
            );
          return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
  models
    .command("unhost")
    .description(
      "Unhost a model (administrators; a key with the models:host scope): no new runs, waiting runs end, its workers free its memory.",
    )
    .argument("<name>", "the hosted model's name")
    .action(async (name: string) => {
      const result = await context
        .client()
        .api.call(`unhosting model ${name}`, (t) =>
          t.models.unhost.mutate({ name }),
        );
      context.out(
        result.changed
          ? `${name} unhosted${result.endedRuns > 0 ? ` (${result.endedRuns} waiting run${result.endedRuns === 1 ? "" : "s"} ended)` : ""}: its workers free its memory\n`
          : `${name} was already unhosted\n`,
      );
    });
}

function parseName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(value))
    throw new InvalidArgumentError(
      `"${value}": a model name is 1-100 of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit`,
    );
  return value;
}
