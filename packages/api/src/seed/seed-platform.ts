import { readFileSync } from "node:fs";
import path from "node:path";
import { createModel, manifestSchema, type Envoy } from "@loupe/graph";
import { seedAdmin } from "../auth/accounts.ts";
import { principalOfUser } from "../auth/principal.ts";
import { createApiContext } from "../context.ts";
import { createCaller } from "../root-router.ts";
import { createApiServices } from "../services.ts";

/** What seeding did, for the start banner. */
export interface SeedReport {
  readonly admin: { email: string; password: string; created: boolean };
  readonly demoExperimentId: string | null;
}

/** The demo experiment's title: the paper's activation patching on the bundled model. */
export const DEMO_TITLE = "Paris to Rome: activation patching (Code Example 4)";

/**
 * Seeds a running platform: the administrator account (with a quota) and, when
 * the bundled model is registered, a public demo experiment in the gallery
 * (the paper's patching example). Both are idempotent. Goes through the API,
 * so the demo graph is validated like any researcher's.
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
    const imported = JSON.parse(
      readFileSync(
        path.join(options.repoRoot, "models", "facts", "model.manifest.json"),
        "utf8",
      ),
    ) as { manifest: unknown };
    const manifest = manifestSchema.parse(imported.manifest);
    const registered = await services.db.model.findUnique({
      where: { name: manifest.model.name },
    });
    let demoExperimentId: string | null = null;
    if (registered) {
      const mine = await caller.experiments.mine();
      demoExperimentId = mine.find((e) => e.title === DEMO_TITLE)?.id ?? null;
      if (!demoExperimentId) {
        const lm = createModel<Envoy>(manifest);
        const layer2 = () => lm.transformer!.h![2]!.output[0]!;
        const graph = lm.session(() => {
          let hidden: ReturnType<Envoy["output"]["get"]> | undefined;
          lm.trace("The Colosseum is located in the city of", () => {
            hidden = layer2().get(":", 1, ":");
          });
          lm.trace("The Louvre is located in the city of", () => {
            layer2().set([":", 1, ":"], hidden!);
            lm.output.item("logits").save("logits");
          });
        });
        demoExperimentId = (
          await caller.experiments.create({
            title: DEMO_TITLE,
            description:
              "The hidden state of the subject token of a Colosseum prompt, written into a Louvre prompt at layer 2: the bundled model's prediction moves from Paris to Rome.",
            visibility: "public",
            license: "CC-BY-4.0",
            initial: {
              model: manifest.model.name,
              graph,
              message: "the paper's patching example",
            },
          })
        ).experimentId;
      }
    }
    return { admin: { ...options.admin, created }, demoExperimentId };
  } finally {
    await services.close();
  }
}
