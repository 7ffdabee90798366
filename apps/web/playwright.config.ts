import path from "node:path";
import { defineConfig } from "@playwright/test";

/**
 * Browser tests in Debian's Chromium (Playwright cannot download its own browser
 * here). One worker: the specs share one stack (see e2e/fixtures.ts), and one of
 * them stops and restarts Temporal.
 */
export default defineConfig({
  testDir: "e2e",
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [
    ["list"],
    [
      "json",
      {
        outputFile: path.resolve(
          import.meta.dirname,
          "../../.loupe/test-results/playwright-web.json",
        ),
      },
    ],
  ],
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 900 },
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
