import { readFile, writeFile } from "node:fs/promises";
import { Command, InvalidArgumentError, Option } from "commander";
import { generateModelTypes, manifestSchema } from "@loupe/graph";
import {
  loadEngine as loadInstalledEngine,
  type LocalEngine,
} from "../local/load-engine.ts";
import { modelCacheDir } from "../local/find-model-file.ts";
import { pullModel } from "../local/pull-model.ts";
import { importModelFile } from "../models/import-model-file.ts";
import { defaultCliContext, table, type CliContext } from "./cli-context.ts";
import { formatImportSummary } from "./format-import-summary.ts";
import { addHostingCommands } from "./build-hosting-commands.ts";

/** What the models commands need from outside (the engine, loaded on demand). */
export interface ModelsCommandDeps {
  readonly loadEngine: () => Promise<LocalEngine>;
}

/** Builds `loupe models`: the server's models, their types, and importing models here. */
export function buildModelsCommand(
  deps: ModelsCommandDeps = { loadEngine: loadInstalledEngine },
  context: CliContext = defaultCliContext,
): Command {
  const models = new Command("models").description(
    "The models a Loupe server hosts (ls, typegen; host and unhost for administrators), and models on this machine (pull and import, need @loupe/engine).",
  );
  models
    .command("ls", { isDefault: true })
    .description("List the models the server hosts.")
    .action(async () => {
      const hosted = await context.client().models();
      if (hosted.length === 0) {
        context.out("no models are registered on this server yet\n");
        return;
      }
      context.out(
        table([
          ["NAME", "STATE", "WORKERS", "HASH"],
          ...hosted.map((m) => [
            m.name,
            m.state ?? (m.workers > 0 ? "online" : "no worker"),
            String(m.workers),
            m.hash ?? "-",
          ]),
        ]),
      );
      for (const m of hosted.filter((x) => x.reason))
        context.out(`${m.name}: ${m.reason}\n`);
    });
  addHostingCommands(models, context);
  models
    .command("pull")
    .description(
      "Download a hosted model's files (ONNX file, external data, manifest, tokenizer) into the model cache ($LOUPE_CACHE_DIR, else ~/.cache/loupe/models), checked against its hash, so `loupe run` and createLoupe run it here with no flags.",
    )
    .argument("<model>", "the hosted model's name")
    .action(async (name: string) => {
      const engine = await deps.loadEngine();
      const pulled = await pullModel(
        context.client().api,
        engine,
        name,
        modelCacheDir(context.env),
      );
      context.out(
        pulled.pulled
          ? `pulled ${name} (${pulled.hash}) into ${pulled.file}\n`
          : `${name} (${pulled.hash}) is on this machine already: ${pulled.file}\n`,
      );
    });
  models
    .command("typegen")
    .description(
      'Write TypeScript types for a model\'s module tree, so editors complete module paths and a misspelled path fails tsc: loupe.model<Name>("<model>").',
    )
    .argument("<model>", "the hosted model's name")
    .option("-o, --out <file>", "where to write (default: <model>.ts)")
    .option(
      "--manifest <file>",
      "read the manifest from this file (what `loupe models import` wrote) instead of the server",
    )
    .option(
      "--type-name <Name>",
      "the exported type's name (default: the model's name in PascalCase)",
    )
    .action(
      async (
        name: string,
        opts: { out?: string; typeName?: string; manifest?: string },
      ) => {
        const manifest = opts.manifest
          ? manifestSchema.parse(
              (
                JSON.parse(await readFile(opts.manifest, "utf8")) as {
                  manifest?: unknown;
                }
              ).manifest,
            )
          : (await context.client().model(name)).manifest;
        const typeName = opts.typeName ?? pascalCase(name);
        const file = opts.out ?? `${name}.ts`;
        await writeFile(
          file,
          generateModelTypes(manifest, typeName, "@loupe/sdk"),
        );
        context.out(
          `wrote ${file}: import type { ${typeName} } from "./${file.replace(/^.*\//, "")}"; then loupe.model<${typeName}>("${name}")\n`,
        );
      },
    );
  models
    .command("import")
    .description(
      "Import an ONNX model (an unoptimized TorchScript export): write <model stem>.manifest.json beside it with its module tree, tensor types and hash.",
    )
    .argument("<model.onnx>", "the ONNX file")
    .option(
      "--tokenizer <tokenizer.json>",
      "a Hugging Face tokenizer.json to check and record in the manifest file",
    )
    .addOption(
      new Option(
        "--name <name>",
        "the model's name (default: the file's stem)",
      ).argParser(parseName),
    )
    .addOption(
      new Option(
        "--tuple <pattern=true|false>",
        "whether modules return tuples (.output[0]) or a single tensor, by path pattern (* is one segment: 'transformer.h.*=false'); repeatable. The export cannot tell: the import report says what it assumed",
      ).argParser(parseTuple),
    )
    .action(
      async (
        modelPath: string,
        opts: {
          tokenizer?: string;
          name?: string;
          tuple?: Record<string, boolean>;
        },
      ) => {
        const engine = await deps.loadEngine();
        const result = await importModelFile(
          {
            modelPath,
            ...(opts.tokenizer !== undefined && {
              tokenizerPath: opts.tokenizer,
            }),
            ...(opts.name !== undefined && { name: opts.name }),
            ...(opts.tuple !== undefined && { tuple: opts.tuple }),
          },
          engine,
        );
        process.stdout.write(formatImportSummary(result));
      },
    );
  return models;
}

function parseTuple(
  value: string,
  previous: Record<string, boolean> | undefined,
): Record<string, boolean> {
  const m = /^([^=\s]+)=(true|false)$/.exec(value.trim());
  if (!m)
    throw new InvalidArgumentError(
      `expected <module pattern>=true or =false (e.g. 'transformer.h.*=false'), got '${value}'.`,
    );
  return { ...previous, [m[1]!]: m[2] === "true" };
}

function parseName(value: string): string {
  if (value.trim() === "")
    throw new InvalidArgumentError("the model name must not be empty.");
  return value;
}

/** "facts-gpt2" -> "FactsGpt2" */
function pascalCase(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z_]/.test(joined) ? joined : `Model${joined}`;
}
