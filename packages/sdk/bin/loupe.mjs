#!/usr/bin/env node
// The `loupe` command. The SDK ships as TypeScript source inside the monorepo;
// tsx compiles it on the fly (esbuild), so no build step stands between an edit and a run.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
