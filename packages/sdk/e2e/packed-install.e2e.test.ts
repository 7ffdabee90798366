/**
 * The published packages as a researcher gets them: `npm pack` the SDK, the
 * graph package and the engine (pack:sdk's build), install the tarballs in a
 * fresh folder outside the repository (no workspace links, from the npm
 * cache only), typecheck a script that imports @loupe/sdk with `tsc
 * --strict`, and run it with the installed `loupe` command, here on the
 * engine's bundled model and on the running stack. Its tensors equal the
 * in-repository example's (01-neurons).
 */
import { execFile } from "node:child_process";
import {
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fromSafetensors, type SavedTensor } from "@loupe/graph";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLoupe, type LoupeScript, type Tensor } from "../src/index.ts";
import { packPackages } from "../scripts/pack/pack-packages.ts";
import { createKey, signIn } from "./accounts.ts";
import {
  lockfileForTarballs,
  type RepositoryLockfile,
} from "./packed-lockfile.ts";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");

/** The script a researcher writes: Code Example 1, with the SDK as installed. */
const SCRIPT = `import {
  buildForwardGraph,
  buildNeuronsGraph,
  defineScript,
  type Tensor,
  type TextTokenizer,
} from "@loupe/sdk";
import type { FactsGpt2 } from "./facts-gpt2.js";

const top = (logits: Tensor, tokenizer: TextTokenizer) =>
  JSON.stringify(tokenizer.decode([logits.at(0, -1).argmax().item()]));

export default defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>("facts-gpt2");
  const tokenizer = await lm.tokenizer();
  const edit = {
    prompt: "The Louvre is located in the city of",
    module: lm.transformer.h[1].mlp.c_proj,
    neurons: [89, 349, 422, 458],
    value: 10,
  };
  const before = await lm.run(buildForwardGraph(lm.graphs, { prompt: edit.prompt }), trace);
  const after = await lm.run(buildNeuronsGraph(lm.graphs, edit), trace);
  log(\`before: \${top(before.get("logits"), tokenizer)}\`);
  log(\`after: \${top(after.get("logits"), tokenizer)}\`);
  return { before: before.get("logits"), after: after.get("logits") };
});
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: "ESNext",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
  },
  include: ["*.ts"],
};

let tmp: string;
let app: string;
/**
 * The environment of commands in the app: npm's variables from `npm test`
 * removed (they describe the repository), the npm cache kept and used
 * offline, and no `loupe login` config of the machine's user.
 */
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "loupe-packed-"));
  app = path.join(tmp, "app");
  const npmless = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.toLowerCase().startsWith("npm_"),
    ),
  );
  const cache =
    process.env.npm_config_cache ??
    (await run("npm", ["config", "get", "cache"], { cwd: tmp, env: npmless }))
      .stdout;
  env = {
    ...npmless,
    npm_config_cache: cache.trim(),
    // Everything comes from the cache `npm ci` filled: nothing is downloaded.
    npm_config_offline: "true",
    ONNXRUNTIME_NODE_INSTALL: "skip",
    LOUPE_CONFIG: path.join(tmp, "no-config.json"),
  };
  const packed = packPackages(repoRoot, path.join(tmp, "tarballs"));
  const repoLock = JSON.parse(
    await readFile(path.join(repoRoot, "package-lock.json"), "utf8"),
  ) as RepositoryLockfile;
  // A researcher's TypeScript project: the compiler and Node's types too.
  const lock = lockfileForTarballs(repoLock, packed, [
    "typescript",
    "@types/node",
  ]);
  await mkdir(app);
  const manifest = {
    name: "loupe-packed-install",
    private: true,
    type: "module",
  };
  await writeFile(
    path.join(app, "package.json"),
    JSON.stringify(
      { ...manifest, dependencies: lock.packages[""]!.dependencies },
      null,
      2,
    ),
  );
  await writeFile(
    path.join(app, "package-lock.json"),
    JSON.stringify({ name: manifest.name, ...lock }, null, 2),
  );
  await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: app, env });
  await writeFile(path.join(app, "neurons.ts"), SCRIPT);
  await writeFile(
    path.join(app, "tsconfig.json"),
    JSON.stringify(TSCONFIG, null, 2),
  );
  // What `loupe models typegen facts-gpt2` writes.
  await copyFile(
    path.join(repoRoot, "examples", "types", "facts-gpt2.ts"),
    path.join(app, "facts-gpt2.ts"),
  );
}, 300_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Runs the installed `loupe` in the app; returns its standard output. */
async function loupe(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<string> {
  const { stdout } = await run("npx", ["loupe", ...args], {
    cwd: app,
    env: { ...env, ...extraEnv },
  });
  return stdout;
}

/** The in-repository example's tensors, run here with the repository's SDK. */
async function exampleTensors(): Promise<Record<string, Tensor>> {
  const script = (
    (await import(path.join(repoRoot, "examples", "01-neurons.ts"))) as {
      default: LoupeScript;
    }
  ).default;
  const bundled = path.join(repoRoot, "models", "facts", "model.onnx");
  const local = createLoupe({
    url: inject("webUrl"),
    modelFiles: { "facts-gpt2": bundled },
  });
  try {
    const tensors = await script({
      loupe: local,
      remote: false,
      trace: { remote: false },
      log: () => {},
    });
    return tensors ?? {};
  } finally {
    await local.close();
  }
}

async function savedTensors(
  file: string,
): Promise<Record<string, SavedTensor>> {
  return fromSafetensors(new Uint8Array(await readFile(path.join(app, file))))
    .tensors;
}

function maxAbsDiff(a: SavedTensor, b: SavedTensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let max = 0;
  for (let i = 0; i < x.length; i++)
    max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

const LINES = 'before: " Paris"\nafter: " France"\n';

describe("the packed packages, installed outside the repository", () => {
  it("typecheck a script that imports @loupe/sdk with tsc --strict", async () => {
    await expect(
      run("npx", ["tsc", "-p", "."], { cwd: app, env }),
    ).resolves.toBeDefined();
  });

  it("load with require() from CommonJS too (Node 20.19+ requires ES modules)", async () => {
    const { stdout } = await run(
      process.execPath,
      ["-e", 'console.log(typeof require("@loupe/sdk").createLoupe)'],
      { cwd: app, env },
    );
    expect(stdout.trim()).toBe("function");
  });

  it("give `npx loupe --help`", async () => {
    expect(await loupe(["--help"])).toMatch(/^Usage: loupe /);
  });

  it("run the script here on the engine's bundled model, as the repository's example does", async () => {
    // The engine's tarball carries the bundled model, and finds it installed.
    const { stdout } = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'const { bundledModelFiles } = await import("@loupe/engine"); console.log(JSON.stringify(bundledModelFiles()));',
      ],
      { cwd: app, env },
    );
    const installed = path.join(app, "node_modules", "@loupe", "engine");
    expect(JSON.parse(stdout)).toEqual({
      "facts-gpt2": path.join(installed, "models", "facts", "model.onnx"),
    });
    // No flags: the SDK finds the hosted model's files in the engine.
    const out = await loupe(
      ["run", "neurons.ts", "--save", "local.safetensors"],
      {
        LOUPE_URL: inject("webUrl"),
      },
    );
    expect(out).toBe(LINES);
    const mine = await savedTensors("local.safetensors");
    const example = await exampleTensors();
    expect(Object.keys(mine).sort()).toEqual(Object.keys(example).sort());
    for (const [name, tensor] of Object.entries(example)) {
      const a = tensor.saved.data;
      const b = mine[name]!.data;
      expect(mine[name]!.shape, name).toEqual(tensor.saved.shape);
      expect(
        Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(
          Buffer.from(a.buffer, a.byteOffset, a.byteLength),
        ),
        `${name} bitwise`,
      ).toBe(true);
    }
  });

  it("run the script on the running stack with the same results", async () => {
    const webUrl = inject("webUrl");
    const apiKey = await createKey(await signIn(webUrl, inject("admin")));
    const out = await loupe(
      ["run", "neurons.ts", "--remote", "--save", "remote.safetensors"],
      {
        LOUPE_URL: webUrl,
        LOUPE_API_KEY: apiKey,
      },
    );
    expect(out).toBe(LINES);
    const theirs = await savedTensors("remote.safetensors");
    for (const [name, tensor] of Object.entries(await exampleTensors())) {
      expect(theirs[name]!.shape, name).toEqual(tensor.saved.shape);
      // Batched with other runs, remote results agree within 1e-5 (examples.e2e.test.ts).
      expect(maxAbsDiff(theirs[name]!, tensor.saved), name).toBeLessThanOrEqual(
        1e-5,
      );
    }
  });
});
