import { systemRouter } from "./routers/system-router.ts";
import { createCallerFactory, router } from "./trpc.ts";

/** Every tRPC procedure Loupe serves, by namespace. */
export const appRouter = router({
  system: systemRouter,
});

/** The router's type: the only thing the SDK and the portal's client import. */
export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP (server components, tests). */
export const createCaller = createCallerFactory(appRouter);
