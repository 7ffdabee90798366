export { appRouter, createCaller, type AppRouter } from "./root-router.ts";
export { createApiContext, type ApiContext } from "./context.ts";
export {
  createApiServices,
  type ApiConfig,
  type ApiServices,
} from "./services.ts";
export type { HealthReport } from "./routers/system-router.ts";
export type { PartHealth } from "./health/part-health.ts";
export type { WorkerHealth } from "./health/probe-workers.ts";
