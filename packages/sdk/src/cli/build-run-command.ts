import { writeFile } from "node:fs/promises";
import { toSafetensors } from "@loupe/graph";
import { Command } from "commander";
import { runPageUrl } from "../runs/run-page-url.ts";
import { describeStatus, type RunStatus } from "../runs/run-status.ts";
import { importScript } from "../scripts/loupe-script.ts";
import type { CliContext } from "./cli-context.ts";

/**
 * `loupe run <file.ts>`: runs a script's default export (see defineScript)
 * with a client from the config, showing each run's progress on stderr
 * (queued with its position, running, done) while the script prints on stdout.
 */
export function buildRunCommand(context: CliContext): Command {
  return new Command("run")
    .description(
      "Run a Loupe script (export default defineScript(async ({ loupe, trace, log }) => …)), showing each run's progress.",
    )
    .argument("<file.ts>", "the script")
    .option("--remote", "run its traces on the server (default: here)", false)
    .option(
      "--save <file.safetensors>",
      "write the tensors the script returns to a safetensors file",
    )
    .option(
      "--model-file <name=path>",
      "a model's files on this machine, for local traces (repeatable); without it, a hosted model runs here from the files with its hash (bundled with @loupe/engine, or in the model cache)",
      collect,
      [],
    )
    .action(
      async (
        file: string,
        opts: { remote: boolean; modelFile: string[]; save?: string },
      ) => {
        const modelFiles = Object.fromEntries(
          opts.modelFile.map((entry) => {
            const at = entry.indexOf("=");
            if (at <= 0)
              throw new Error(
                `--model-file ${entry}: expected <model name>=<path to model.onnx>`,
              );
            return [entry.slice(0, at), entry.slice(at + 1)];
          }),
        );
        const script = await importScript(file);
        const loupe = context.client({
          remote: opts.remote,
          runner: "cli",
          ...(opts.modelFile.length > 0 && { modelFiles }),
        });
        const started = Date.now();
        // Each remote run's page in the portal, once, when it is first seen.
        const shown = new Set<string>();
        const onStatus = (s: RunStatus) => {
          if (!shown.has(s.runId))
            context.err(
              `  run ${s.runId.slice(0, 8)}: ${runPageUrl(loupe.url, s.runId)}\n`,
            );
          shown.add(s.runId);
          context.err(
            `  [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] run ${s.runId.slice(0, 8)} ${describeStatus(s)}\n`,
          );
        };
        try {
          const returned = await script({
            loupe,
            remote: opts.remote,
            trace: { remote: opts.remote, onStatus },
            log: (line) => context.out(`${line}\n`),
          });
          if (opts.save) {
            const tensors = Object.fromEntries(
              Object.entries(returned ?? {}).map(([k, t]) => [k, t.saved]),
            );
            await writeFile(opts.save, toSafetensors(tensors));
            context.err(
              `saved ${Object.keys(tensors).length} tensor(s) to ${opts.save}\n`,
            );
          }
        } finally {
          await loupe.close();
        }
      },
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
