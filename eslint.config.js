// ESLint for the whole monorepo: type-checked rules, import cycles, and the
// dependency direction of docs/DESIGN.md, "Layers" ("dependencies point toward pure code").
import { builtinModules } from "node:module";
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

const packages = [
  "graph",
  "db",
  "engine",
  "workflows",
  "api",
  "sdk",
  "worker",
  "web",
  "stack",
  "examples",
];

/** Which internal packages each workspace may import (docs/DESIGN.md, "Layers"). */
const allowed = {
  "packages/graph": [],
  "packages/db": [],
  "packages/engine": ["graph"],
  workflows: ["graph"],
  "packages/api": ["graph", "db", "workflows"],
  "packages/sdk": ["graph", "api", "engine"],
  "apps/worker": ["workflows", "engine", "graph", "db"],
  "apps/web": ["api", "graph"],
  stack: [],
  // infra validates the deployment manifests against the apps' env parsers,
  // which it imports by path (the one place outside apps/ that reads them).
  infra: [],
  // bench measures the whole platform too: it brings a stack up, gives its
  // administrator a key through the API, and drives it with the SDK.
  bench: ["graph", "engine", "sdk", "api", "stack"],
  examples: ["sdk"],
};

const nodeBuiltins = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
];

/** Bans importing another package's internals: only "." and "./testing" are public. */
const deepImportBan = {
  group: ["@loupe/*/*", "!@loupe/*/testing"],
  message: "import a package by its name (its exports), never its internals",
};

/**
 * Extra packages a workspace's tests may import. The platform's end-to-end
 * tests live beside the worker they start, and submit runs through the API.
 */
const allowedInTests = { "apps/worker": ["api"], "packages/sdk": ["stack"] };

/**
 * Imports a workspace may make for types only: the SDK sees the API's router
 * type, and the database's read models use the graph package's vocabulary
 * (a generated row) without depending on its code.
 */
const typeOnly = { "packages/sdk": ["api"], "packages/db": ["graph"] };

function bannedPackages(dir, extra = []) {
  const self = dir.split("/").pop();
  return packages
    .filter(
      (p) =>
        ![...allowed[dir], ...extra, ...(typeOnly[dir] ?? [])].includes(p) &&
        p !== self,
    )
    .map((p) => `@loupe/${p}`);
}

function dependencyPatterns(dir, extra = []) {
  const only =
    [...allowed[dir], ...extra].map((p) => `@loupe/${p}`).join(", ") ||
    "no internal package";
  const patterns = [deepImportBan];
  const banned = bannedPackages(dir, extra);
  if (banned.length > 0) {
    patterns.push({
      group: banned,
      message:
        allowed[dir].length === 0
          ? `${dir} imports no internal package (docs/DESIGN.md, "Layers")`
          : `${dir} may import only ${only} (docs/DESIGN.md, "Layers")`,
    });
  }
  for (const p of typeOnly[dir] ?? []) {
    patterns.push({
      group: [`@loupe/${p}`],
      allowTypeImports: true,
      message: `${dir} may import only types from @loupe/${p}`,
    });
  }
  return patterns;
}

function dependencyRules(dir, extra = []) {
  return {
    "@typescript-eslint/no-restricted-imports": [
      "error",
      { patterns: dependencyPatterns(dir, extra) },
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/.next/**",
      "**/generated/**",
      ".loupe/**",
      "**/next-env.d.ts",
      "**/test-results/**",
      "**/playwright-report/**",
      "**/.venv/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    plugins: { "import-x": importX },
    settings: {
      // import-x parses imported files to follow cycles: TypeScript needs its parser.
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/extensions": [".ts", ".tsx", ".js", ".mjs"],
      "import-x/resolver-next": [
        createTypeScriptImportResolver({
          alwaysTryTypes: true,
          project: ["**/tsconfig.json"],
        }),
      ],
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { fixStyle: "inline-type-imports" },
      ],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "import-x/no-cycle": "error",
      "import-x/no-self-import": "error",
      eqeqeq: ["error", "smart"],
    },
  },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
  ...Object.keys(allowed).map((dir) => ({
    files: [`${dir}/**/*.{ts,tsx}`],
    rules: dependencyRules(dir),
  })),
  ...Object.entries(allowedInTests).map(([dir, extra]) => ({
    files: [
      `${dir}/**/*.test.ts`,
      `${dir}/src/testing/**/*.ts`,
      `${dir}/e2e/**/*.ts`,
    ],
    rules: dependencyRules(dir, extra),
  })),
  // Pure packages: no Node builtins, no database, no native modules. Workflows also
  // run in Temporal's deterministic sandbox. Tests beside them may use Node.
  ...["packages/graph", "workflows"].map((dir) => ({
    files: [`${dir}/src/**/*.ts`],
    ignores: ["**/*.test.ts", "**/testing/**"],
    rules: {
      "no-restricted-globals": [
        "error",
        ...[
          "Buffer",
          "process",
          "require",
          "__dirname",
          "__filename",
          "setImmediate",
          "global",
        ].map((name) => ({
          name,
          message:
            "pure code: no Node globals (it runs in browsers and Temporal workflows)",
        })),
      ],
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message:
              "pure code: no Node builtins (it runs in browsers and Temporal workflows)",
          })),
          patterns: [
            ...dependencyPatterns(dir),
            {
              group: [
                "@prisma/*",
                "pg",
                "onnxruntime-node",
                "onnxruntime-*",
                "@temporalio/worker",
                "@temporalio/client",
                "@temporalio/activity",
                "@temporalio/testing",
              ],
              message:
                "pure code: no database driver, native module or non-workflow Temporal package",
            },
          ],
        },
      ],
    },
  })),
  // Test matchers (expect.any, expect.objectContaining) are typed `any` by design.
  {
    files: ["**/*.test.ts", "**/*.spec.ts"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  // Browser tests drive a whole stack of their own, through @loupe/stack.
  {
    files: ["apps/web/e2e/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: dependencyPatterns("apps/web").map((p) =>
            p.group.includes("@loupe/stack")
              ? { ...p, group: p.group.filter((g) => g !== "@loupe/stack") }
              : p,
          ),
        },
      ],
    },
  },
  {
    files: ["apps/web/src/**/*.tsx", "apps/web/src/**/*.ts"],
    languageOptions: { globals: { ...globals.browser } },
  },
  // A function past 150 lines holds more than one step: split it at its seams
  // (docs/STYLE.md, "Layout"). Exceptions are listed below, each with its reason.
  {
    files: ["packages/*/src/**/*.{ts,tsx}", "apps/*/src/**/*.{ts,tsx}"],
    rules: {
      "max-lines-per-function": [
        "error",
        { max: 150, skipBlankLines: true, skipComments: true },
      ],
    },
  },
  // Tests: a describe block's length is the number of its cases, each of
  // which is short; the rule is about functions that do one job.
  {
    files: ["**/*.test.ts", "**/*.test.tsx"],
    rules: { "max-lines-per-function": "off" },
  },
);
