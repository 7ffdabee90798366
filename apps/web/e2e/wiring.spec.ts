import path from "node:path";
import { expect, screenshotsDir, signIn, test } from "./fixtures";

interface ProbeResult {
  probeId: string;
  stream: string;
  position: string;
  workerId: string;
}

test("an API call runs a workflow whose activity appends an event that a page shows", async ({
  page,
  stack,
}) => {
  // The probe and the event log are for administrators (events carry private graphs).
  const request = page.request;
  await signIn(request, stack.seeded!.admin);
  const response = await request.post("/api/trpc/system.probe", {
    data: { note: "wiring test" },
  });
  expect(response.status()).toBe(200);
  const probe = ((await response.json()) as { result: { data: ProbeResult } })
    .result.data;
  expect(probe.stream).toBe(`probe-${probe.probeId}`);
  expect(probe.workerId).toMatch(/^worker-/);

  await page.goto("/events");
  const event = page.locator(
    `[data-testid="event-row"][data-stream="${probe.stream}"]`,
  );
  await expect(event).toHaveCount(1);
  await expect(event).toContainText("ProbeRecorded");
  await expect(event).toContainText(probe.position);
  await expect(event).toContainText(`"note":"wiring test"`);
  await expect(event).toContainText(probe.workerId);
  await page.screenshot({
    path: path.join(screenshotsDir, "events.png"),
    fullPage: true,
  });
});

test("the health page's probe button reports where its event landed", async ({
  page,
  stack,
}) => {
  await signIn(page.request, stack.seeded!.admin);
  await page.goto("/health");
  await page.getByRole("button", { name: "Send a probe" }).click();
  const result = page.getByTestId("probe-result");
  await expect(result).toContainText(
    /Event probe-[0-9a-f-]+ at position \d+, written by worker-/,
  );
  const stream = (await result.locator("code").first().textContent()) ?? "";
  await result.getByRole("link", { name: "See it in the event log" }).click();
  await expect(
    page.locator(`[data-testid="event-row"][data-stream="${stream}"]`),
  ).toContainText("ProbeRecorded");
});

test("the API rejects bad input with a message naming the field", async ({
  request,
}) => {
  const input = encodeURIComponent(JSON.stringify({ text: "x".repeat(201) }));
  const response = await request.get(
    `/api/trpc/experiments.gallery?input=${input}`,
  );
  expect(response.status()).toBe(400);
  const body = (await response.json()) as {
    error: { message: string; data: { code: string } };
  };
  expect(body.error.data.code).toBe("BAD_REQUEST");
  expect(body.error.message).toContain("text");
});
