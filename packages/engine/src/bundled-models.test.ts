import {
  copyFile,
  mkdir,
  mkdtemp,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { bundledModelFiles } from "./bundled-models.ts";
import { readImportedManifest } from "./import/load-model-files.ts";

const repoModel = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "models",
  "facts",
);
const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

it("finds the bundled model in the repository, with its manifest and tokenizer", async () => {
  const files = bundledModelFiles();
  expect(files).toEqual({
    "facts-gpt2": path.join(repoModel, "model.onnx"),
  });
  const { manifest, tokenizer } = await readImportedManifest(
    files["facts-gpt2"]!,
  );
  expect(manifest.model.name).toBe("facts-gpt2");
  expect(tokenizer).toBeDefined();
});

it("finds it inside an installed package first, wherever the module was built to", async () => {
  // An installed @loupe/engine: its package.json, this module in a build
  // folder, and the model's files under models/ (what the tarball carries).
  const root = await mkdtemp(path.join(os.tmpdir(), "loupe-engine-pkg-"));
  made.push(root);
  await writeFile(
    path.join(root, "package.json"),
    JSON.stringify({ name: "@loupe/engine" }),
  );
  await mkdir(path.join(root, "dist", "esm"), { recursive: true });
  const module = path.join(root, "dist", "esm", "bundled-models.ts");
  await copyFile(path.join(import.meta.dirname, "bundled-models.ts"), module);
  const folder = path.join(root, "models", "facts");
  await mkdir(folder, { recursive: true });
  for (const file of ["model.onnx", "model.manifest.json", "tokenizer.json"])
    await symlink(path.join(repoModel, file), path.join(folder, file));
  const installed = (await import(pathToFileURL(module).href)) as {
    bundledModelFiles: typeof bundledModelFiles;
  };
  expect(installed.bundledModelFiles()).toEqual({
    "facts-gpt2": path.join(folder, "model.onnx"),
  });
});

it("leaves out a model whose files are in neither place", async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), "loupe-engine-pkg-"));
  made.push(root);
  await writeFile(
    path.join(root, "package.json"),
    JSON.stringify({ name: "@loupe/engine" }),
  );
  const module = path.join(root, "bundled-models.ts");
  await copyFile(path.join(import.meta.dirname, "bundled-models.ts"), module);
  const installed = (await import(pathToFileURL(module).href)) as {
    bundledModelFiles: typeof bundledModelFiles;
  };
  expect(installed.bundledModelFiles()).toEqual({});
});
