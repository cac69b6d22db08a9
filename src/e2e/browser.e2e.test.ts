import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { startHarness } from "../testing/harness-process";
import { waitFor } from "../testing/ports";

const executablePath = "/usr/bin/chromium";
const available = existsSync(executablePath);
if (!available)
  console.warn("skipping browser tests: /usr/bin/chromium is not installed (apt-get install chromium)");
const artifacts = join(import.meta.dir, "../../test-artifacts");

/** Waits until the element's text contains `text` (the DOM may still be rendering or refreshing). */
async function hasText(locator: ReturnType<Page["locator"]>, text: string): Promise<void> {
  await waitFor(`text "${text}"`, async () => ((await locator.textContent()) ?? "").includes(text), 10_000);
}

let harness: Awaited<ReturnType<typeof startHarness>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!available) return;
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${harness.base}/login`);
  await page.fill('input[name="token"]', harness.token);
  await page.click('#login button[type="submit"]');
  await page.waitForURL(`${harness.base}/`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (harness) expect(await harness.stop()).toBe(0);
});

test.skipIf(!available)("overview shows an SLO and a ticket, and names the brain", async () => {
  await harness.api("/api/v1/slos", {
    method: "POST",
    body: {
      name: "availability",
      objective: 99.9,
      window: "30d",
      sli: { bad: "ratelimiter_store_errors_total", total: "ratelimiter_requests_total" },
    },
  });
  await harness.api("/api/v1/tickets", {
    method: "POST",
    body: { title: "Seeded ticket for the overview", objective: "Shown on /" },
  });
  await page.goto(`${harness.base}/`);
  await hasText(page.locator("body"), "availability");
  await page.waitForSelector("text=Seeded ticket for the overview");
  await hasText(page.locator("#banner"), "runbook");
  await page.screenshot({ path: join(artifacts, "overview.png"), fullPage: true });
});

test.skipIf(!available)(
  "a ticket created in the form appears in the list; a script tag in a title stays text",
  async () => {
    await page.goto(`${harness.base}/tickets`);
    await page.fill(
      '#new-ticket input[name="title"]',
      "<script>window.pwned=1</script>Created in the browser",
    );
    await page.fill('#new-ticket textarea[name="objective"]', "Check that forms work");
    await page.click('#new-ticket button[type="submit"]');
    await page.waitForURL(/\/tickets\/\d+$/);
    await hasText(page.locator("h2").first(), "<script>window.pwned=1</script>Created in the browser");
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await page.goto(`${harness.base}/tickets`);
    await hasText(page.locator("#tickets"), "Created in the browser");
    await page.screenshot({ path: join(artifacts, "tickets.png"), fullPage: true });
  },
);

test.skipIf(!available)("a waiting ticket is approved with the button and resumes", async () => {
  // A criterion no runbook can fix makes the runbook brain ask a person.
  const created = await harness.api<{ id: number }>("/api/v1/tickets", {
    method: "POST",
    body: {
      title: "Needs a person",
      objective: "o",
      success_criteria: [{ query: "vector(1)", comparator: "<", threshold: 0 }],
    },
  });
  const id = created.data.id;
  await waitFor(
    "awaiting approval",
    async () =>
      (await harness.api<{ status: string }>(`/api/v1/tickets/${id}`)).data.status === "awaiting_approval",
    30_000,
  );
  await page.goto(`${harness.base}/tickets/${id}`);
  await page.screenshot({ path: join(artifacts, "ticket-waiting.png"), fullPage: true });
  await page.click("#approve-button");
  await waitFor(
    "resumed after approval",
    async () => {
      const events = (await harness.api<{ kind: string }[]>(`/api/v1/tickets/${id}/events`)).data.map(
        (e) => e.kind,
      );
      return events.includes("approved") && events.includes("agent_resumed");
    },
    30_000,
  );
  expect((await harness.api<{ status: string }>(`/api/v1/tickets/${id}`)).data.status).not.toBe(
    "awaiting_approval",
  );
});

test.skipIf(!available)("a bad SLO form shows the error next to the field", async () => {
  await page.goto(`${harness.base}/slos`);
  await page.fill('#new-slo input[name="name"]', "latency");
  await page.fill('#new-slo input[name="objective"]', "250");
  await page.fill('#new-slo input[name="bad"]', "x");
  await page.fill('#new-slo input[name="total"]', "y");
  await page.click('#new-slo button[type="submit"]');
  await hasText(page.locator("#error-objective"), "percentage");
  await page.screenshot({ path: join(artifacts, "slo-error.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${harness.base}/`);
  await page.screenshot({ path: join(artifacts, "overview-phone.png"), fullPage: true });
});

test.skipIf(!available)("an invariant is created, evaluated in place with htmx, and edited", async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${harness.base}/invariants`);
  await page.fill('#new-invariant input[name="name"]', "InstanceUp");
  await page.fill('#new-invariant input[name="query"]', 'up{job="rate-limiter"} == 1');
  await page.click('#new-invariant button[type="submit"]');
  await page.waitForURL(`${harness.base}/invariants`);
  const row = page.locator("tr", { hasText: "InstanceUp" }).first();
  const id = (await row.getAttribute("id"))?.replace("invariant-", "");
  // The instance is up, so this "invariant" is violated: the fragment appears below the row, no reload.
  await waitFor(
    "a scrape of the rate limiter",
    async () =>
      ((await harness.api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent("up == 1")}`)).data
        .result.length ?? 0) > 0,
    30_000,
  );
  await row.locator("text=Evaluate now").click();
  await hasText(page.locator(`#eval-invariants-${id}`), "Violating: 1 series");
  expect(page.url()).toBe(`${harness.base}/invariants`);
  await page.screenshot({ path: join(artifacts, "invariants-evaluate.png"), fullPage: true });
  await row.locator("text=Edit").click();
  await page.fill('#edit-invariant input[name="for"]', "5m");
  await page.click('#edit-invariant button[type="submit"]');
  await page.waitForURL(`${harness.base}/invariants`);
  await hasText(page.locator(`#invariant-${id}`), "5m");
});
