import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  isEndedRunStatus,
  loadTokenizer,
  manifestSchema,
  type Manifest,
  type TextTokenizer,
} from "@loupe/graph";
import { seedAdmin } from "../auth/accounts.ts";
import { principalOfUser } from "../auth/principal.ts";
import { createApiContext } from "../context.ts";
import { createCaller } from "../root-router.ts";
import { createApiServices } from "../services.ts";
import {
  DEMO_TITLE,
  demoExperiments,
  type DemoExperiment,
} from "./demo-experiments.ts";
import { minilmExperiments } from "./minilm-experiments.ts";

/** What seeding did, for the start banner. */
export interface SeedReport {
  readonly admin: { email: string; password: string; created: boolean };
  /** The paper's Code Example 4 (null when the bundled model is not registered). */
  readonly demoExperimentId: string | null;
  /** Every public example experiment, with the run that gave its results. */
  readonly demoExperiments: {
    title: string;
    experimentId: string;
    runId: string | null;
    status: string;
  }[];
}

export { DEMO_TITLE };

/** How long seeding waits for each example's run (the worker is up and warm by then). */
const RUN_WAIT_MS = 120_000;

/** The bundled models (folders of models/) and the gallery examples on each. */
const BUNDLED: {
  folder: string;
  examples: (manifest: Manifest, tokenizer: TextTokenizer) => DemoExperiment[];
}[] = [
  { folder: "facts", examples: demoExperiments },
  { folder: "minilm", examples: minilmExperiments },
];

/**
 * Seeds a running platform: the administrator account (with a quota) and,
 * for each bundled model that is registered (models/facts, models/minilm), the
 * gallery's public example experiments on it (demo-experiments.ts,
 * minilm-experiments.ts), each run once so it has results.
 * Idempotent: experiments are found by title, runs by their completion. Goes
 * through the API, so the graphs are validated like any researcher's.
 */
export async function seedPlatform(options: {
  repoRoot: string;
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  admin: { email: string; password: string };
}): Promise<SeedReport> {
  const services = createApiServices(options);
  try {
    const { userId, created } = await seedAdmin(services.db, options.admin);
    const caller = createCaller(
      createApiContext(services, await principalOfUser(services.db, userId)),
    );
    const seeded: SeedReport["demoExperiments"] = [];
    const mine = await caller.experiments.mine();
    for (const bundled of BUNDLED) {
      const dir = path.join(options.repoRoot, "models", bundled.folder);
      const manifestFile = path.join(dir, "model.manifest.json");
      // A model not built into this checkout (or not hosted) has no examples.
      if (!existsSync(manifestFile)) continue;
      const imported = JSON.parse(readFileSync(manifestFile, "utf8")) as {
        manifest: unknown;
      };
      const manifest = manifestSchema.parse(imported.manifest);
      const registered = await services.db.model.findUnique({
        where: { name: manifest.model.name },
      });
      if (!registered) continue;
      const tokenizer = loadTokenizer(
        JSON.parse(readFileSync(path.join(dir, "tokenizer.json"), "utf8")),
      );
      for (const demo of bundled.examples(manifest, tokenizer)) {
        const experimentId =
          mine.find((e) => e.title === demo.title)?.id ??
          (
            await caller.experiments.create({
              title: demo.title,
              description: demo.description,
              visibility: "public",
              license: "CC-BY-4.0",
              tags: demo.tags,
              initial: {
                model: manifest.model.name,
                graph: demo.graph,
                message: demo.message,
              },
            })
          ).experimentId;
        seeded.push({
          title: demo.title,
          experimentId,
          ...(await ensureRun(caller, experimentId)),
        });
      }
    }
    return {
      admin: { ...options.admin, created },
      demoExperimentId:
        seeded.find((d) => d.title === DEMO_TITLE)?.experimentId ?? null,
      demoExperiments: seeded,
    };
  } finally {
    await services.close();
  }
}

/** A completed run of the experiment's latest version: an existing one, or a new one waited for. */
async function ensureRun(
  caller: ReturnType<typeof createCaller>,
  experimentId: string,
): Promise<{ runId: string | null; status: string }> {
  const runs = await caller.experiments.runs({ experimentId });
  const done = runs.find((r) => r.status === "completed");
  if (done) return { runId: done.runId, status: done.status };
  const { latestVersion } = await caller.experiments.get({ experimentId });
  const { runId } = await caller.runs.submit({
    experimentId,
    version: latestVersion,
  });
  const deadline = Date.now() + RUN_WAIT_MS;
  for (;;) {
    const { status } = await caller.runs.status({ runId });
    if (isEndedRunStatus(status) || Date.now() > deadline)
      return { runId, status };
    await new Promise((r) => setTimeout(r, 250));
  }
}
