import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { parseGraphOrThrow } from "@loupe/graph";
import type { ExperimentCard } from "../experiments/experiments-client.ts";
import { positiveInt, table, type CliContext } from "./cli-context.ts";
import { resolveExperimentId } from "./resolve-ids.ts";

const VISIBILITIES = ["private", "unlisted", "public"] as const;

/** `loupe experiments push|fork|ls`: versioned, shareable graphs. */
export function buildExperimentsCommand(context: CliContext): Command {
  const experiments = new Command("experiments").description(
    "Experiments: versioned intervention graphs you can share and fork.",
  );
  experiments
    .command("push")
    .description(
      "Commit a graph file (loupe.graph JSON) as the next version of an experiment, or as version 1 of a new one.",
    )
    .argument("<graph.json>")
    .requiredOption("--model <model>", "the hosted model the graph is for")
    .option(
      "--experiment <id>",
      "the experiment to add a version to (its id, or a unique prefix of it)",
    )
    .option("--title <title>", "create a new experiment with this title")
    .option("-m, --message <message>", "what changed", "")
    .addOption(
      new Option("--visibility <v>", "for a new experiment")
        .choices(VISIBILITIES)
        .default("private"),
    )
    .action(
      async (
        file: string,
        opts: {
          model: string;
          experiment?: string;
          title?: string;
          message: string;
          visibility: (typeof VISIBILITIES)[number];
        },
      ) => {
        if (!opts.experiment && !opts.title)
          throw new Error(
            "give --experiment <id> (a new version) or --title <title> (a new experiment)",
          );
        const graph = parseGraphOrThrow(
          JSON.parse(await readFile(file, "utf8")) as unknown,
        );
        const loupe = context.client();
        const ref = await loupe.experiments.push({
          model: opts.model,
          graph,
          message: opts.message,
          ...(opts.experiment
            ? {
                experimentId: await resolveExperimentId(loupe, opts.experiment),
              }
            : { title: opts.title!, visibility: opts.visibility }),
        });
        context.out(`pushed ${ref.experimentId} v${ref.version}\n`);
      },
    );
  experiments
    .command("fork")
    .description(
      "Fork a version of an experiment into a new experiment of yours.",
    )
    .argument("<experimentId>", "the experiment's id, or a unique prefix of it")
    // Not --version: commander gives that to the root command (loupe --version).
    .option(
      "--at <version>",
      "the version to fork (default: the latest)",
      positiveInt,
    )
    .option("--title <title>", "the fork's title")
    .action(async (id: string, opts: { at?: number; title?: string }) => {
      const loupe = context.client();
      const experimentId = await resolveExperimentId(loupe, id);
      const version =
        opts.at ?? (await loupe.experiments.get(experimentId)).latestVersion;
      const fork = await loupe.experiments.fork(
        { experimentId, version },
        opts.title !== undefined ? { title: opts.title } : {},
      );
      context.out(
        `forked ${experimentId} v${version} into ${fork.experimentId} v${fork.version}\n`,
      );
    });
  experiments
    .command("ls", { isDefault: true })
    .description("List the public gallery (or, with --mine, your experiments).")
    .option("--mine", "your experiments instead of the gallery", false)
    .option("-q, --query <text>", "search titles and descriptions")
    .option("--model <name>", "only experiments on this model")
    .option("--tag <tag>", "only experiments with this tag")
    .addOption(
      new Option("--sort <order>", "gallery order")
        .choices(["recent", "stars", "forks"])
        .default("recent"),
    )
    .option("--after <id>", "the page after this experiment (a cursor)")
    .action(
      async (opts: {
        mine: boolean;
        query?: string;
        model?: string;
        tag?: string;
        sort: "recent" | "stars" | "forks";
        after?: string;
      }) => {
        const loupe = context.client();
        let rows: {
          id: string;
          latestVersion: number;
          stars: number;
          visibility: string;
          title: string;
        }[];
        let next: string | null = null;
        if (opts.mine) {
          const mine: readonly ExperimentCard[] =
            await loupe.experiments.mine();
          rows = [...mine];
        } else {
          const page = await loupe.experiments.gallery({
            ...(opts.query && { text: opts.query }),
            ...(opts.model && { model: opts.model }),
            ...(opts.tag && { tag: opts.tag }),
            ...(opts.after && { after: opts.after }),
            sort: opts.sort,
          });
          rows = page.items.map((c) => ({ ...c, visibility: "public" }));
          next = page.nextCursor;
        }
        if (rows.length === 0) {
          context.out("no experiments\n");
          return;
        }
        context.out(
          table([
            ["ID", "VERSION", "STARS", "VISIBILITY", "TITLE"],
            ...rows.map((c) => [
              c.id,
              `v${c.latestVersion}`,
              String(c.stars),
              c.visibility,
              c.title,
            ]),
          ]),
        );
        if (next)
          context.out(
            `more: loupe experiments ls --sort ${opts.sort} --after ${next} (with the same filters)\n`,
          );
      },
    );
  return experiments;
}
