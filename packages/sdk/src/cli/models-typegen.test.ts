import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

// `loupe models typegen` writes types that make module paths checked by tsc:
// a correct script compiles, a misspelled path fails with tsc's own error.
const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..", "..");
const bin = path.join(repoRoot, "packages", "sdk", "bin", "loupe.mjs");
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
let dir: string;

beforeAll(async () => {
  // Inside the repository (git-ignored .loupe/), so `@loupe/sdk` resolves.
  await mkdir(path.join(repoRoot, ".loupe"), { recursive: true });
  dir = await mkdtemp(path.join(repoRoot, ".loupe", "typegen-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const script = (modulePath: string) => `
import { createLoupe } from "@loupe/sdk";
import type { FactsGpt2 } from "./facts-gpt2.ts";

const lm = await createLoupe().model<FactsGpt2>("facts-gpt2");
await lm.trace("The Louvre is located in the city of", () => {
  ${modulePath}.output.save("out");
  lm.output.item("logits").save("logits");
});
`;

it("types a model's module tree: a correct path compiles, a misspelled one fails tsc", async () => {
  const generated = spawnSync(
    process.execPath,
    [
      bin,
      "models",
      "typegen",
      "facts-gpt2",
      "--manifest",
      path.join(repoRoot, "models", "facts", "model.manifest.json"),
      "-o",
      path.join(dir, "facts-gpt2.ts"),
    ],
    { encoding: "utf8" },
  );
  expect(generated.stderr).toBe("");
  expect(generated.stdout).toContain(
    'import type { FactsGpt2 } from "./facts-gpt2.ts"; then loupe.model<FactsGpt2>("facts-gpt2")',
  );
  expect(await readFile(path.join(dir, "facts-gpt2.ts"), "utf8")).toContain(
    'from "@loupe/sdk"',
  );
  await writeFile(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: path.join(repoRoot, "tsconfig.base.json"),
      compilerOptions: { types: ["node"] },
      include: ["*.ts"],
    }),
  );

  // One tsc run over three scripts (tsc is slow to start on the SDK's types).
  await writeFile(
    path.join(dir, "good.ts"),
    script("lm.transformer.h[5].mlp.c_fc"),
  );
  await writeFile(
    path.join(dir, "misspelled.ts"),
    script("lm.transformer.h[5].mlpp.c_fc"),
  );
  // Layers are a fixed-length tuple: an index past the last layer fails too.
  await writeFile(
    path.join(dir, "past-last.ts"),
    script("lm.transformer.h[6].mlp"),
  );
  const result = spawnSync(process.execPath, [tsc, "-p", "."], {
    cwd: dir,
    encoding: "utf8",
  });
  expect(result.status, result.stdout).not.toBe(0);
  const errors = result.stdout
    .trim()
    .split("\n")
    .filter((l) => / error TS/.test(l));
  expect(
    errors.filter((l) => l.startsWith("good.ts")),
    result.stdout,
  ).toEqual([]);
  expect(errors.filter((l) => l.startsWith("misspelled.ts"))).toEqual([
    expect.stringMatching(
      /^misspelled\.ts\(\d+,\d+\): error TS2551: Property 'mlpp' does not exist on type .*Did you mean 'mlp'\?/,
    ),
  ]);
  expect(errors.filter((l) => l.startsWith("past-last.ts"))).toContainEqual(
    expect.stringMatching(
      /^past-last\.ts\(\d+,\d+\): error TS2493: Tuple type .* of length '6' has no element at index '6'/,
    ),
  );
});
