import { accountRouter } from "./routers/account/account-router.ts";
import { adminRouter } from "./routers/admin/admin-router.ts";
import { applicationsRouter } from "./routers/applications/applications-router.ts";
import { experimentsRouter } from "./routers/experiments/experiments-router.ts";
import { keysRouter } from "./routers/keys/keys-router.ts";
import { modelsRouter } from "./routers/models/models-router.ts";
import { runsRouter } from "./routers/runs/runs-router.ts";
import { systemRouter } from "./routers/system/system-router.ts";
import { createCallerFactory, router } from "./trpc.ts";

/** Every tRPC procedure Loupe serves, by namespace. */
export const appRouter = router({
  system: systemRouter,
  account: accountRouter,
  applications: applicationsRouter,
  keys: keysRouter,
  admin: adminRouter,
  models: modelsRouter,
  experiments: experimentsRouter,
  runs: runsRouter,
});

/** The router's type: the only thing the SDK and the portal's client import. */
export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP (server components, tests). */
export const createCaller = createCallerFactory(appRouter);
