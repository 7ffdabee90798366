/** The Loupe worker process: polls Temporal and runs activities. Config from env. */
import { parseWorkerEnv } from "./env.ts";
import { runWorker } from "./run-worker.ts";

await runWorker(parseWorkerEnv(process.env));
