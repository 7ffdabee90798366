import { Command, InvalidArgumentError, Option } from "commander";
import {
  loadEngine as loadInstalledEngine,
  type LocalEngine,
} from "../local/load-engine.ts";
import { importModelFile } from "../models/import-model-file.ts";
import { formatImportSummary } from "./format-import-summary.ts";

/** What the models commands need from outside (the engine, loaded on demand). */
export interface ModelsCommandDeps {
  readonly loadEngine: () => Promise<LocalEngine>;
}

/** Builds `loupe models`: commands about models on this machine. */
export function buildModelsCommand(
  deps: ModelsCommandDeps = { loadEngine: loadInstalledEngine },
): Command {
  const models = new Command("models").description(
    "Work with models on this machine (needs the local engine, @loupe/engine).",
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
    .action(
      async (
        modelPath: string,
        opts: { tokenizer?: string; name?: string },
      ) => {
        const engine = await deps.loadEngine();
        const result = await importModelFile(
          {
            modelPath,
            ...(opts.tokenizer !== undefined && {
              tokenizerPath: opts.tokenizer,
            }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          engine,
        );
        process.stdout.write(formatImportSummary(result));
      },
    );
  return models;
}

function parseName(value: string): string {
  if (value.trim() === "")
    throw new InvalidArgumentError("the model name must not be empty.");
  return value;
}
