import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, screenshotsDir, test } from "./fixtures";

const row = (page: Page, part: string) =>
  page.getByTestId(`health-row-${part}`);

test("the health page shows every part healthy, Temporal going down and coming back", async ({
  page,
  stack,
}) => {
  await page.goto("/health");
  await expect(page.getByTestId("health-summary")).toHaveAttribute(
    "data-healthy",
    "true",
  );
  await expect(page.getByTestId("health-summary")).toContainText(
    "All parts healthy",
  );
  for (const part of ["database", "temporal", "workers"]) {
    await expect(row(page, part)).toHaveAttribute("data-status", "healthy");
  }
  await expect(row(page, "database")).toContainText("PostgreSQL");
  const worker = page.getByTestId("worker-row");
  await expect(worker).toHaveCount(1);
  await expect(worker).toHaveAttribute("data-status", "healthy");
  // npm start's worker hosts the bundled models.
  await expect(worker.getByTestId("worker-models")).toHaveText(
    "all-minilm-l6-v2, facts-gpt2",
  );
  await page.screenshot({
    path: path.join(screenshotsDir, "health.png"),
    fullPage: true,
  });

  await stack.stopTemporal();
  await expect(row(page, "temporal")).toHaveAttribute(
    "data-status",
    "unhealthy",
  );
  await expect(row(page, "database")).toHaveAttribute("data-status", "healthy");
  await expect(page.getByTestId("health-summary")).toHaveAttribute(
    "data-healthy",
    "false",
  );
  await page.screenshot({
    path: path.join(screenshotsDir, "health-temporal-down.png"),
    fullPage: true,
  });

  await stack.startTemporal();
  await expect(row(page, "temporal")).toHaveAttribute(
    "data-status",
    "healthy",
    { timeout: 30_000 },
  );
  // The worker reconnects and polls again: everything is healthy once more.
  await expect(page.getByTestId("health-summary")).toHaveAttribute(
    "data-healthy",
    "true",
    { timeout: 60_000 },
  );
  await expect(worker).toHaveAttribute("data-status", "healthy");
});
