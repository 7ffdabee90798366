import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as engine from "@loupe/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cachedModelFile,
  findModelFile,
  modelCacheDir,
} from "./find-model-file.ts";
import { localFilesHints } from "./local-files-hints.ts";

// With the real engine and the bundled model's files: how a hosted model's
// files are found on this machine, by name and model hash.
const bundled = engine.bundledModelFiles()["facts-gpt2"]!;
let hash: string;
let cacheDir: string;

beforeAll(async () => {
  hash = (await engine.readImportedManifest(bundled)).manifest.model.hash!;
  cacheDir = await mkdtemp(path.join(os.tmpdir(), "loupe-model-cache-"));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe("findModelFile", () => {
  it("finds the engine's bundled model when its hash is the hosted one's", async () => {
    expect(
      await findModelFile(engine, { name: "facts-gpt2", hash }, cacheDir),
    ).toBe(bundled);
  });

  it("finds nothing for a hosted model of that name with other weights", async () => {
    expect(
      await findModelFile(
        engine,
        { name: "facts-gpt2", hash: `sha256:${"0".repeat(64)}` },
        cacheDir,
      ),
    ).toBeUndefined();
  });

  it("finds a model in the cache by its hash, whatever its name", async () => {
    const file = cachedModelFile(cacheDir, hash);
    expect(file).toBe(
      path.join(cacheDir, hash.replace("sha256:", ""), "model.onnx"),
    );
    await mkdir(path.dirname(file), { recursive: true });
    for (const name of ["model.onnx", "model.manifest.json", "tokenizer.json"])
      await symlink(
        path.join(path.dirname(bundled), name),
        path.join(path.dirname(file), name),
      );
    expect(
      await findModelFile(engine, { name: "facts-gpt2-copy", hash }, cacheDir),
    ).toBe(file);
  });
});

it("keeps the model cache in LOUPE_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache", () => {
  expect(modelCacheDir({ LOUPE_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe(
    "/c",
  );
  expect(modelCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/loupe/models");
  expect(modelCacheDir({})).toBe(
    path.join(os.homedir(), ".cache", "loupe", "models"),
  );
});

it("words the fixes for a script and for `loupe run`, each in its own terms", () => {
  const none =
    "model m has no files on this machine (no model bundled with @loupe/engine or in the model cache has the hosted model's hash)";
  expect(localFilesHints("script").missing("m")).toBe(
    `${none}, so it cannot run with remote: false: download them with \`npx loupe models pull m\`, trace it with { remote: true }, or pass modelFiles: { "m": "<path>/model.onnx" } to createLoupe`,
  );
  expect(localFilesHints("cli").missing("m")).toBe(
    `${none}, so \`loupe run\` cannot run it here: download them with \`loupe models pull m\`, run the script on the server with --remote, or give its files with --model-file m=<path>/model.onnx`,
  );
  expect(localFilesHints("cli").fixFiles).toBe("fix the --model-file flag");
  expect(localFilesHints("script").fixFiles).toBe("fix the modelFiles entry");
});
