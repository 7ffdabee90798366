/**
 * Runs the paper's Code Examples 1 and 4 and the patching sweep both ways,
 * Loupe's (examples/*.ts, here with the local engine) and nnsight's
 * (bench/peers/nnsight-examples/*.py, in the peers' virtualenv), on the
 * bundled model; checks that they print the same lines and return the same
 * tensors (within 1e-4: ONNX Runtime against PyTorch); and counts each
 * version's lines after its language's formatter (prettier, black). Writes
 * bench/peers/nnsight-examples/comparison.json, whose counts the SDK's README
 * shows. Python never runs in `npm test`; this runs by hand:
 *
 *   BLACK=<venv>/bin/black npx tsx bench/peers/compare-nnsight-examples.ts
 *
 * (black pinned in bench/peers/requirements-format.txt.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as prettier from "prettier";
import { createLoupe, type LoupeScript, type Tensor } from "@loupe/sdk";
import { ensurePeersVenv } from "../models/python-envs.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const here = path.join(import.meta.dirname, "nnsight-examples");
const black = process.env.BLACK ?? "black";

/** Each example: Loupe's script, nnsight's, and the names each gives its tensors. */
const EXAMPLES = [
  {
    ts: "01-neurons.ts",
    py: "01_neurons.py",
    tensors: { before: "before", after: "after" },
  },
  {
    ts: "04-activation-patching.ts",
    py: "04_activation_patching.py",
    tensors: { before: "before", after: "after" },
  },
  {
    ts: "patching-sweep.ts",
    py: "patching_sweep.py",
    tensors: {
      "logit_diff[layer,position]": "sweep",
      clean: "clean",
      corrupted: "corrupted",
    },
  },
] as const;

interface Run {
  readonly lines: string[];
  readonly tensors: Record<string, { shape: number[]; data: number[] }>;
}

async function runLoupe(file: string): Promise<Run> {
  const loupe = createLoupe({
    modelFiles: {
      "facts-gpt2": path.join(root, "models", "facts", "model.onnx"),
    },
  });
  try {
    const module = (await import(path.join(root, "examples", file))) as {
      default: LoupeScript;
    };
    const lines: string[] = [];
    const saved = await module.default({
      loupe,
      remote: false,
      trace: { remote: false },
      log: (line) => lines.push(line),
    });
    const tensors = Object.fromEntries(
      Object.entries(saved ?? {}).map(([name, t]: [string, Tensor]) => [
        name,
        {
          shape: [...t.shape],
          data: Array.from(t.flatten().toArray() as number[]),
        },
      ]),
    );
    return { lines, tensors };
  } finally {
    await loupe.close();
  }
}

function runNnsight(python: string, file: string): Run {
  const dump = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), "nnsight-")),
    "out.json",
  );
  const result = spawnSync(python, ["-W", "ignore", path.join(here, file)], {
    encoding: "utf8",
    env: { ...process.env, LOUPE_NNSIGHT_DUMP: dump },
  });
  if (result.status !== 0)
    throw new Error(
      `${file} failed (exit ${result.status}):\n${result.stderr}`,
    );
  return {
    lines: result.stdout.trimEnd().split("\n"),
    tensors: JSON.parse(fs.readFileSync(dump, "utf8")) as Run["tensors"],
  };
}

/** How each language marks comments: a block's start and end, and a line comment. */
const COMMENTS = {
  ts: { open: "/*", close: "*/", line: "//" },
  py: { open: '"""', close: '"""', line: "#" },
} as const;

/** Non-blank lines, and those of them that are code (not comments, JSDoc or docstrings). */
function countLines(source: string, language: "ts" | "py") {
  const { open, close, line } = COMMENTS[language];
  const lines = source.split("\n").filter((l) => l.trim() !== "");
  let inBlock = false;
  let code = 0;
  for (const text of lines.map((l) => l.trim())) {
    if (inBlock) inBlock = !text.endsWith(close);
    else if (text.startsWith(open))
      inBlock = !(
        text.length >= open.length + close.length && text.endsWith(close)
      );
    else if (!text.startsWith(line)) code++;
  }
  return { lines: lines.length, code };
}

async function count(file: string, language: "ts" | "py") {
  const source = fs.readFileSync(file, "utf8");
  const formatted =
    language === "ts"
      ? await prettier.format(source, { filepath: file })
      : execFileSync(black, ["-q", "-"], { input: source, encoding: "utf8" });
  if (formatted !== source)
    throw new Error(
      `${path.relative(root, file)} is not formatted: run ${language === "ts" ? "prettier --write" : "black"} on it`,
    );
  return countLines(formatted, language);
}

function maxAbsDiff(
  a: Run["tensors"][string],
  b: Run["tensors"][string],
): number {
  if (a.shape.join() !== b.shape.join())
    throw new Error(
      `shapes differ: [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`,
    );
  return a.data.reduce((m, x, i) => Math.max(m, Math.abs(x - b.data[i]!)), 0);
}

const python = ensurePeersVenv();
const versions = execFileSync(
  python,
  [
    "-c",
    "import nnsight, torch, transformers; print(nnsight.__version__, torch.__version__, transformers.__version__)",
  ],
  { encoding: "utf8" },
)
  .trim()
  .split(" ");
const report = [];
for (const example of EXAMPLES) {
  const loupe = await runLoupe(example.ts);
  const nnsight = runNnsight(python, example.py);
  if (loupe.lines.join("\n") !== nnsight.lines.join("\n"))
    throw new Error(
      `${example.ts} and ${example.py} print different lines:\n${loupe.lines.join("\n")}\n---\n${nnsight.lines.join("\n")}`,
    );
  const diffs = Object.entries(example.tensors).map(([mine, theirs]) => {
    const diff = maxAbsDiff(loupe.tensors[mine]!, nnsight.tensors[theirs]!);
    if (!(diff <= 1e-4))
      throw new Error(
        `${example.ts} "${mine}": max abs diff ${diff} from nnsight's`,
      );
    return [mine, diff] as const;
  });
  const ts = await count(path.join(root, "examples", example.ts), "ts");
  const py = await count(path.join(here, example.py), "py");
  report.push({
    loupe: `examples/${example.ts}`,
    nnsight: `bench/peers/nnsight-examples/${example.py}`,
    printed: loupe.lines,
    maxAbsDiff: Object.fromEntries(diffs),
    loupeLines: ts,
    nnsightLines: py,
    ratio: {
      lines: +(ts.lines / py.lines).toFixed(2),
      code: +(ts.code / py.code).toFixed(2),
    },
  });
}
const blackVersion = execFileSync(black, ["--version"], {
  encoding: "utf8",
}).split("\n")[0];
const out = {
  versions: {
    nnsight: versions[0],
    torch: versions[1],
    transformers: versions[2],
    black: blackVersion,
    prettier: prettier.version,
  },
  examples: report,
};
fs.writeFileSync(
  path.join(here, "comparison.json"),
  `${JSON.stringify(out, null, 2)}\n`,
);
for (const r of report)
  console.log(
    `${r.loupe}: ${r.loupeLines.lines} lines (${r.loupeLines.code} code), ${r.nnsight}: ${r.nnsightLines.lines} (${r.nnsightLines.code}); ${r.ratio.lines}x (${r.ratio.code}x)`,
  );
