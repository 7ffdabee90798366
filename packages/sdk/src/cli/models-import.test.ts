import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { manifestSchema } from "@loupe/graph";
import { afterAll, describe, expect, it } from "vitest";

// The real bin on the engine's committed fixtures, copied out of the repository
// so nothing is written into it. Node and op counts of the fixtures may change
// when they are regenerated; these tests only look at module paths.
const sdk = path.resolve(import.meta.dirname, "..", "..");
const fixtures = path.resolve(sdk, "..", "engine", "fixtures");
const bin = path.join(sdk, "bin", "loupe.mjs");
const loupe = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder holding copies of the fixture model and tokenizer. */
function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "loupe-import-"));
  dirs.push(dir);
  cpSync(
    path.join(fixtures, "gpt2-tiny.onnx"),
    path.join(dir, "gpt2-tiny.onnx"),
  );
  cpSync(
    path.join(fixtures, "tokenizer.json"),
    path.join(dir, "tokenizer.json"),
  );
  return dir;
}

/** Where a dependency of the SDK is installed (node's own lookup, up the folders). */
function findPackageDir(name: string): string {
  for (let dir = sdk; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(candidate)) return realpathSync(candidate);
    if (dir === path.dirname(dir)) throw new Error(`${name} is not installed`);
  }
}

const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;

describe("loupe models import", { timeout: 60_000 }, () => {
  it("writes the manifest beside the model and prints a summary", () => {
    const dir = workspace();
    const model = path.join(dir, "gpt2-tiny.onnx");
    const result = loupe(
      "models",
      "import",
      model,
      "--tokenizer",
      path.join(dir, "tokenizer.json"),
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);

    const manifestPath = path.join(dir, "gpt2-tiny.manifest.json");
    const text = readFileSync(manifestPath, "utf8");
    expect(text.startsWith('{\n  "format": "loupe.imported-model",\n')).toBe(
      true,
    );
    expect(text.endsWith("}\n")).toBe(true);
    const file = readJson(manifestPath);
    expect(file).toMatchObject({
      format: "loupe.imported-model",
      version: 1,
      unresolved: [],
    });
    const manifest = manifestSchema.parse(file.manifest);
    expect(manifest.model).toMatchObject({
      name: "gpt2-tiny",
      architecture: "GPT2LMHeadModel",
      hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const paths = manifest.modules.map((m) => m.path);
    expect(paths).toContain("transformer.h.0.mlp");
    expect(paths).toContain("lm_head");
    const tokenizerHash = createHash("sha256")
      .update(readFileSync(path.join(dir, "tokenizer.json")))
      .digest("hex");
    expect(file.tokenizer).toEqual({
      file: "tokenizer.json",
      sha256: `sha256:${tokenizerHash}`,
    });

    const calls = manifest.modules.reduce((n, m) => n + m.calls.length, 0);
    expect(result.stdout).toBe(
      [
        "Imported gpt2-tiny (GPT2LMHeadModel)",
        `  modules     ${manifest.modules.length} (${calls} calls)`,
        `  hash        ${manifest.model.hash}`,
        `  tokenizer   tokenizer.json (sha256:${tokenizerHash})`,
        `  manifest    ${manifestPath}`,
        "  unresolved  none",
        "  assumed     transformer returns a tuple: 1 module(s); GPT2LMHeadModel's do in transformers 4.x, and the export cannot tell (plain tensors: --tuple 'transformer=false')",
        "  assumed     transformer.h.* returns a tuple: 2 module(s); GPT2LMHeadModel's do in transformers 4.x, and the export cannot tell (plain tensors: --tuple 'transformer.h.*=false')",
        "  assumed     transformer.h.*.attn returns a tuple: 2 module(s); GPT2LMHeadModel's do in transformers 4.x, and the export cannot tell (plain tensors: --tuple 'transformer.h.*.attn=false')",
        `  assumed     * returns a single tensor: ${manifest.modules.length - 6} module(s); the export cannot tell (a tuple: --tuple '<pattern>=true')`,
        "  parameters  every weight placed on its module",
        `  source      ${manifest.modules.reduce((n, m) => n + (m.calls[0]?.source?.length ?? 0), 0)} operations inside modules (.source); nothing unreachable`,
        "",
      ].join("\n"),
    );
    // The temporary file was renamed, not left behind.
    expect(readdirSync(dir).sort()).toEqual([
      "gpt2-tiny.manifest.json",
      "gpt2-tiny.onnx",
      "tokenizer.json",
    ]);
  });

  it("takes --name, records no tokenizer without --tokenizer, and one elsewhere by its relative path", () => {
    const dir = workspace();
    const model = path.join(dir, "gpt2-tiny.onnx");
    expect(loupe("models", "import", model, "--name", "tiny").status).toBe(0);
    const plain = readJson(path.join(dir, "gpt2-tiny.manifest.json"));
    expect(plain.tokenizer).toBeNull();
    expect(manifestSchema.parse(plain.manifest).model.name).toBe("tiny");

    mkdirSync(path.join(dir, "tok"));
    cpSync(
      path.join(dir, "tokenizer.json"),
      path.join(dir, "tok", "tokenizer.json"),
    );
    const result = loupe(
      "models",
      "import",
      model,
      "--tokenizer",
      path.join(dir, "tok", "tokenizer.json"),
    );
    expect(result.status).toBe(0);
    const file = readJson(path.join(dir, "gpt2-tiny.manifest.json"));
    expect(file.tokenizer).toMatchObject({ file: "tok/tokenizer.json" });
  });

  it("takes --tuple overrides by module pattern, records them, and says so", () => {
    const dir = workspace();
    const model = path.join(dir, "gpt2-tiny.onnx");
    const result = loupe(
      "models",
      "import",
      model,
      "--tuple",
      "transformer.h.*=false",
      "--tuple",
      "transformer.h.*.attn=false",
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      "  tuple       transformer.h.* returns a single tensor (--tuple)\n",
    );
    expect(result.stdout).not.toContain("assumed     transformer.h.* ");
    const file = readJson(path.join(dir, "gpt2-tiny.manifest.json"));
    expect(file.tuple).toEqual({
      "transformer.h.*": false,
      "transformer.h.*.attn": false,
    });
    const manifest = manifestSchema.parse(file.manifest);
    const block = manifest.modules.find((m) => m.path === "transformer.h.1")!;
    expect(block.calls[0]!.tuple).toBe(false);
    const bad = loupe("models", "import", model, "--tuple", "transformer.h.*");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain(
      "expected <module pattern>=true or =false (e.g. 'transformer.h.*=false'), got 'transformer.h.*'.",
    );
  });

  const failures: [string, (dir: string) => string[], RegExp][] = [
    [
      "a missing model file",
      (dir) => [path.join(dir, "missing.onnx")],
      /^error: model file not found: .*missing\.onnx$/,
    ],
    [
      "a file that is not ONNX",
      (dir) => {
        writeFileSync(path.join(dir, "notes.onnx"), "these are not weights\n");
        return [path.join(dir, "notes.onnx")];
      },
      /^error: .*notes\.onnx: not an ONNX model: .+$/,
    ],
    [
      "a missing tokenizer",
      (dir) => [
        path.join(dir, "gpt2-tiny.onnx"),
        "--tokenizer",
        path.join(dir, "nope.json"),
      ],
      /^error: tokenizer file not found: .*nope\.json$/,
    ],
    [
      "a tokenizer that is not JSON",
      (dir) => {
        writeFileSync(path.join(dir, "broken.json"), "{ not json");
        return [
          path.join(dir, "gpt2-tiny.onnx"),
          "--tokenizer",
          path.join(dir, "broken.json"),
        ];
      },
      /^error: tokenizer .*broken\.json is unreadable: not UTF-8 JSON \(.+\)$/,
    ],
    [
      "a JSON file that is no tokenizer",
      (dir) => {
        writeFileSync(path.join(dir, "config.json"), '{"vocab_size": 466}');
        return [
          path.join(dir, "gpt2-tiny.onnx"),
          "--tokenizer",
          path.join(dir, "config.json"),
        ];
      },
      /^error: tokenizer .*config\.json is unreadable: tokenizer\.json: expected an object with a "model" field/,
    ],
  ];
  it.each(failures)(
    "fails on %s, naming it, and writes nothing",
    (_, setup, message) => {
      const dir = workspace();
      const args = setup(dir);
      const before = readdirSync(dir).sort();
      const result = loupe("models", "import", ...args);
      expect(result.status).not.toBe(0);
      expect(result.stderr.trim()).toMatch(message);
      expect(result.stdout).toBe("");
      expect(readdirSync(dir).sort()).toEqual(before);
    },
  );

  it("leaves an earlier manifest as it was when an import fails", () => {
    const dir = workspace();
    const manifestPath = path.join(dir, "gpt2-tiny.manifest.json");
    writeFileSync(manifestPath, "earlier\n");
    writeFileSync(path.join(dir, "broken.json"), "{");
    const result = loupe(
      "models",
      "import",
      path.join(dir, "gpt2-tiny.onnx"),
      "--tokenizer",
      path.join(dir, "broken.json"),
    );
    expect(result.status).not.toBe(0);
    expect(readFileSync(manifestPath, "utf8")).toBe("earlier\n");
  });

  it("is listed by --help", () => {
    const top = loupe("--help");
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/^ {2}models\s/m);
    const models = loupe("models", "--help");
    expect(models.status).toBe(0);
    expect(models.stdout).toContain("import [options] <model.onnx>");
    const command = loupe("models", "import", "--help");
    expect(command.status).toBe(0);
    expect(command.stdout).toContain(
      "Usage: loupe models import [options] <model.onnx>",
    );
    expect(command.stdout).toContain("--tokenizer <tokenizer.json>");
    expect(command.stdout).toContain("--name <name>");
  });

  it("refuses an empty --name", () => {
    const dir = workspace();
    const result = loupe(
      "models",
      "import",
      path.join(dir, "gpt2-tiny.onnx"),
      "--name",
      " ",
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("the model name must not be empty");
  });

  it("says how to get the engine when it is not installed", () => {
    // The SDK as a remote-only user has it: its own files and dependencies, no @loupe/engine.
    const dir = workspace();
    const copy = path.join(dir, "sdk");
    cpSync(path.join(sdk, "bin"), path.join(copy, "bin"), { recursive: true });
    cpSync(path.join(sdk, "src"), path.join(copy, "src"), { recursive: true });
    cpSync(path.join(sdk, "package.json"), path.join(copy, "package.json"));
    // Its dependencies, as npm would install them; the engine is an optional peer.
    const dependencies = Object.keys(
      readJson(path.join(sdk, "package.json")).dependencies as object,
    );
    expect(dependencies).not.toContain("@loupe/engine");
    for (const dep of dependencies) {
      const link = path.join(copy, "node_modules", dep);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(findPackageDir(dep), link);
    }
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [path.join(copy, "bin", "loupe.mjs"), ...args],
        {
          encoding: "utf8",
        },
      );

    expect(run("--help").status).toBe(0);
    const result = run("models", "import", path.join(dir, "gpt2-tiny.onnx"));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "error: the local engine (@loupe/engine) is not installed",
    );
    expect(result.stderr).toContain("npm install @loupe/engine");
    expect(
      readdirSync(dir).filter((f) => f.endsWith(".manifest.json")),
    ).toEqual([]);
  });
});
