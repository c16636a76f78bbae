// The CRM's end-to-end tests of a call's page with the recordings widget, written the way
// docs/testing.md describes: roles and accessible names (Playwright's locators reach into the
// element's open shadow root), the element's methods, and the events it dispatches.
import { expect, test, type Locator, type Page } from "@playwright/test";

import type {
  MiniVoiceError,
  MiniVoiceRecordingsElement,
} from "../types/minivoice-recordings";

interface Heard {
  type: string;
  detail: { callId: string; recordingId?: string; code?: string };
}

// Every event the widget dispatches, kept from the page's first script on.
test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    const heard: unknown[] = [];
    Object.assign(window, { heard });
    for (const type of [
      "minivoice-ready",
      "minivoice-recording-started",
      "minivoice-recording-stopped",
      "minivoice-recording-paused",
      "minivoice-recording-resumed",
      "minivoice-error",
    ]) {
      document.addEventListener(type, (e) => heard.push({ type, detail: (e as CustomEvent).detail }));
    }
  });
});

/** A call of its own for each test: the sandbox keeps every call's recordings. */
function newCall(name: string): string {
  return `pw_${name}_${Math.random().toString(36).slice(2, 10)}`;
}

async function heard(page: Page): Promise<Heard[]> {
  return page.evaluate(() => (window as unknown as { heard: Heard[] }).heard);
}

/** A call's page in the CRM, once the widget's script has defined the element (its methods
 * and `ready` exist from then on). */
async function openCall(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.evaluate(() => customElements.whenDefined("minivoice-recordings"));
}

function recorder(page: Page): Locator {
  return page.locator("minivoice-recordings");
}

test("an agent records a call, and the CRM pauses it for a card payment", async ({ page }) => {
  const call = newCall("payment");
  await openCall(page, `/calls/${call}`);
  await recorder(page).evaluate((el) => (el as MiniVoiceRecordingsElement).ready);

  await page.getByRole("button", { name: `Start recording call ${call}` }).click();
  const recordings = page.getByRole("list", { name: "Recordings, newest first" });
  await expect(recordings.getByRole("listitem")).toHaveCount(1);
  await expect(page.getByTestId("recording-status")).toHaveText("started");
  await expect
    .poll(async () => (await heard(page)).filter((e) => e.type === "minivoice-recording-started"))
    .toEqual([
      { type: "minivoice-recording-started", detail: { callId: call, recordingId: `rec_${call}`, status: "started" } },
    ]);

  // The payment form pauses recording with a reason every agent on the call sees.
  const paused = await recorder(page).evaluate((el) =>
    (el as MiniVoiceRecordingsElement).pause({ reason: "payment" }),
  );
  expect(paused).toEqual({ callId: call, recordingId: `rec_${call}`, status: "stopped" });
  await expect(page.getByTestId("paused-banner")).toContainText("payment");

  await page.getByRole("button", { name: `Resume recording call ${call}` }).click();
  await expect(page.getByTestId("paused-banner")).toBeHidden();
  await expect
    .poll(async () => (await heard(page)).find((e) => e.type === "minivoice-recording-resumed")?.detail)
    .toEqual({ callId: call, recordingId: `rec_${call}_2`, status: "started" });
});

test("a German agent's widget is named in German, and acts when called at once", async ({ page }) => {
  const call = newCall("de");
  await openCall(page, `/calls/${call}?lang=de`);
  // No wait for the German words: the method waits for the widget itself.
  const started = await recorder(page).evaluate((el) => (el as MiniVoiceRecordingsElement).start());
  expect(started.recordingId).toBe(`rec_${call}`);
  await expect(page.getByRole("button", { name: `Aufnahme beenden, Anruf ${call}` })).toBeEnabled();
  await expect(page.getByRole("button", { name: `Aufnahme starten, Anruf ${call}` })).toBeDisabled();
  await expect
    .poll(async () => (await heard(page)).some((e) => e.type === "minivoice-ready" && e.detail.callId === call))
    .toBe(true);
});

test("the sandbox's completed call refuses a start, and the CRM hears why", async ({ page }) => {
  // A magic call ID of the sandbox (docs/sandbox.md): the call is over.
  await openCall(page, "/calls/call_completed");
  const refusal = await recorder(page).evaluate((el) =>
    (el as MiniVoiceRecordingsElement).start().then(
      () => null,
      (e: MiniVoiceError) => e.code,
    ),
  );
  expect(refusal).toBe("call_not_active");
  await expect(page.getByTestId("error-code")).toHaveText("call_not_active");
  await expect
    .poll(async () => (await heard(page)).filter((e) => e.type === "minivoice-error").map((e) => e.detail.code))
    .toEqual(["call_not_active"]);
});
