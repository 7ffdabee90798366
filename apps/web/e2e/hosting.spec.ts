import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, repoRoot, screenshotsDir, test } from "./fixtures";

// Hosting from the admin page while the stack runs: the administrator unhosts
// the bundled model (the worker frees it; the models page says unhosted), then
// hosts it again from its path (requested, loading, online), with no restart.
// It ends online, as the other specs expect it.
const MODEL = "facts-gpt2";

async function signIn(
  page: Page,
  credentials: { email: string; password: string },
) {
  await page.goto("/signin");
  await page.getByLabel("Email", { exact: true }).fill(credentials.email);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in")).toContainText(credentials.email);
}

/** Reloads the models page until the model shows `state`. */
async function modelState(page: Page, state: string) {
  await expect(async () => {
    await page.goto("/models");
    await expect(
      page.locator(
        `[data-testid="model-row"][data-model="${MODEL}"] [data-testid="model-state"]`,
      ),
    ).toHaveAttribute("data-state", state, { timeout: 1000 });
  }).toPass({ timeout: 90_000 });
}

test("an administrator unhosts and hosts a model from the admin page, without a restart", async ({
  page,
  stack,
}) => {
  test.setTimeout(240_000);
  await signIn(page, stack.seeded!.admin);
  await page.goto("/admin");
  const row = page.locator(
    `[data-testid="admin-model-row"][data-model="${MODEL}"]`,
  );
  await row.getByTestId("unhost-model").click();
  await expect(page.getByTestId("form-notice")).toContainText(
    `${MODEL} unhosted`,
  );
  await modelState(page, "unhosted");
  // The worker let it go: its heartbeat no longer lists it.
  await expect(async () => {
    await page.goto("/health");
    await expect(page.getByTestId("worker-models").first()).not.toContainText(
      MODEL,
      {
        timeout: 1000,
      },
    );
  }).toPass({ timeout: 60_000 });

  await page.goto("/admin");
  const form = page.getByTestId("host-model");
  await form.getByLabel("Name").fill(MODEL);
  await form
    .getByLabel("Files")
    .fill(path.join(repoRoot, "models", "facts", "model.onnx"));
  await page.getByTestId("host-model-submit").click();
  await expect(page.getByTestId("form-notice")).toContainText(
    `Hosting ${MODEL} requested`,
  );
  await modelState(page, "online");
  // Its engine's memory comes with the worker's next heartbeat.
  await expect(async () => {
    await page.goto("/models");
    await expect(
      page.locator(
        `[data-testid="model-row"][data-model="${MODEL}"] [data-testid="engine-memory"]`,
      ),
    ).toContainText("weights", { timeout: 1000 });
  }).toPass({ timeout: 60_000 });
  await page.screenshot({
    path: path.join(screenshotsDir, "models-hosting.png"),
    fullPage: true,
  });

  await page.goto(`/models/${MODEL}`);
  const history = page.getByTestId("hosting-history");
  for (const event of [
    "unhosted",
    "unloaded",
    "host requested",
    "loading",
    "online",
  ])
    await expect(history).toContainText(event);
  await page.goto("/admin");
  await page.screenshot({
    path: path.join(screenshotsDir, "admin-hosting.png"),
    fullPage: true,
  });

  // A bad location is refused with what was expected, and nothing is recorded.
  await page.getByTestId("host-model").getByLabel("Name").fill("elsewhere");
  await page
    .getByTestId("host-model")
    .getByLabel("Files")
    .fill("https://example.com/model.onnx");
  await page.getByTestId("host-model-submit").click();
  await expect(page.getByTestId("form-error")).toContainText(
    "Loupe reads models from storage its workers share",
  );
});
