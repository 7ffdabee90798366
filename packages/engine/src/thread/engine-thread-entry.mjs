// Entry of the engine thread: Loupe runs its TypeScript sources through tsx (as
// the worker app does), so the thread registers tsx before loading the engine.
import { register } from "tsx/esm/api";

register();
await import("./engine-thread.ts");
