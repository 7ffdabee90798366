import { Command, Option } from "commander";
import {
  describeStatus,
  RUN_STATES,
  type RunStatus,
} from "../runs/run-status.ts";
import { runPageUrl } from "../runs/run-page-url.ts";
import { positiveInt, table, type CliContext } from "./cli-context.ts";
import { resolveRunId } from "./resolve-ids.ts";

/**
 * `loupe runs ls|show|cancel|download`: your runs on the server. Each takes
 * a run's full id or a short one (a unique prefix of at least 6 characters).
 */
export function buildRunsCommand(context: CliContext): Command {
  const runs = new Command("runs").description("Your runs on the server.");
  runs
    .command("ls", { isDefault: true })
    .description("List your runs, newest first.")
    .addOption(
      new Option("--status <status>", "only runs in this state").choices(
        RUN_STATES,
      ),
    )
    .option("--model <model>", "only runs of this model")
    .option("-n, --limit <n>", "how many (at most 200)", positiveInt, 20)
    .action(
      async (opts: {
        status?: RunStatus["status"];
        model?: string;
        limit: number;
      }) => {
        const list = await context.client().runs.list({
          ...(opts.status && { status: opts.status }),
          ...(opts.model && { model: opts.model }),
          limit: opts.limit,
        });
        if (list.length === 0) {
          context.out("no runs\n");
          return;
        }
        context.out(
          table([
            ["RUN", "MODEL", "REQUESTED", "STATUS"],
            ...list.map((r) => [
              r.runId,
              r.model,
              r.requestedAt.toISOString().replace(/\.\d+Z$/, "Z"),
              describeStatus(r),
            ]),
          ]),
        );
      },
    );
  runs
    .command("show")
    .description("Show a run: its state, queue position, metrics and result.")
    .argument("<runId>", "the run's id, or a unique prefix of it")
    .action(async (id: string) => {
      const loupe = context.client();
      const s = await loupe.runs.get(await resolveRunId(loupe, id)).status();
      const lines = [
        `run        ${s.runId}`,
        `page       ${runPageUrl(loupe.url, s.runId)}`,
        `model      ${s.model} (${s.modelHash})`,
        `graph      ${s.graphHash}`,
        `status     ${describeStatus(s)}`,
        ...(s.experiment
          ? [`experiment ${s.experiment.experimentId} v${s.experiment.version}`]
          : []),
        `requested  ${s.requestedAt.toISOString()}`,
        ...(s.metrics
          ? [
              `metrics    ${s.metrics.forwardPasses} forward pass(es), ${s.metrics.runRows} of ${s.metrics.batchRows} batch rows, ${s.metrics.computeSeconds.toFixed(4)} s compute`,
            ]
          : []),
        ...(s.resultBytes !== null
          ? [
              `result     ${s.resultBytes} bytes: loupe runs download ${s.runId}`,
            ]
          : []),
      ];
      context.out(`${lines.join("\n")}\n`);
    });
  runs
    .command("cancel")
    .description("Cancel a run that has not ended.")
    .argument("<runId>", "the run's id, or a unique prefix of it")
    .action(async (id: string) => {
      const loupe = context.client();
      const runId = await resolveRunId(loupe, id);
      const status = await loupe.runs.get(runId).cancel();
      context.out(
        status === "cancelled"
          ? `run ${runId} cancelled\n`
          : `run ${runId} had already ended: ${status}\n`,
      );
    });
  runs
    .command("download")
    .description(
      "Download a completed run's saved values as a safetensors file.",
    )
    .argument("<runId>", "the run's id, or a unique prefix of it")
    .option("-o, --out <file>", "where to write (default: <runId>.safetensors)")
    .action(async (id: string, opts: { out?: string }) => {
      const loupe = context.client();
      const runId = await resolveRunId(loupe, id);
      const file = opts.out ?? `${runId}.safetensors`;
      const bytes = await loupe.runs.get(runId).downloadTo(file);
      context.out(`wrote ${file} (${bytes} bytes)\n`);
    });
  return runs;
}
