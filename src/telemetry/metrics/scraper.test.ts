import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { FakeClock } from "../../lib/clock";
import type { Matcher } from "../types";
import { applyTargetLabels, createScraper, type Target } from "./scraper";
import { MetricStore } from "./store";

/** A real exporter whose body, status and delay each test sets. */
let body = "";
let status = 200;
let delayMs = 0;
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  server = Bun.serve({
    port: 0,
    async fetch() {
      if (delayMs > 0) await Bun.sleep(delayMs);
      return new Response(body, { status, headers: { "content-type": "text/plain; version=0.0.4" } });
    },
  });
});
afterAll(() => server.stop(true));

let store: MetricStore;
afterEach(() => {
  (store as MetricStore | undefined)?.close();
  body = "";
  status = 200;
  delayMs = 0;
});

const name = (n: string): Matcher[] => [{ name: "__name__", op: "=", value: n }];
const t0 = Date.UTC(2026, 0, 1);

function setup(targets: Target[], timeoutMs = 2000) {
  store = new MetricStore(":memory:");
  const clock = new FakeClock(t0);
  let list = targets;
  const scraper = createScraper({ store, fetch, clock, targets: () => list, timeoutMs });
  return { scraper, clock, setTargets: (t: Target[]) => (list = t) };
}

const target = (): Target => ({
  job: "app",
  instance: "i1",
  url: `${server.url}metrics`,
  labels: { env: "test" },
});

describe("applyTargetLabels", () => {
  const cases: [string, Record<string, string>, Record<string, string>][] = [
    ["adds", { __name__: "m" }, { __name__: "m", job: "j", instance: "i" }],
    [
      "renames clash",
      { __name__: "m", job: "x" },
      { __name__: "m", exported_job: "x", job: "j", instance: "i" },
    ],
    [
      "renames twice when exported_ is taken",
      { __name__: "m", job: "x", exported_job: "y" },
      { __name__: "m", exported_job: "y", exported_exported_job: "x", job: "j", instance: "i" },
    ],
  ];
  for (const [n, input, want] of cases)
    test(n, () => expect(applyTargetLabels(input, { job: "j", instance: "i" })).toEqual(want));
});

describe("scrapeOnce", () => {
  test("writes samples with target labels and report series", async () => {
    const { scraper } = setup([target()]);
    body = '# TYPE reqs counter\nreqs{code="200",job="inner"} 5\nother 1 1700000000000\n';
    const r = await scraper.scrapeOnce(target(), t0);
    expect(r).toEqual({ up: true, samples: 2, staleMarkers: 0 });
    expect(store.select(name("reqs"), t0, t0)).toEqual([
      {
        labels: {
          __name__: "reqs",
          code: "200",
          env: "test",
          exported_job: "inner",
          instance: "i1",
          job: "app",
        },
        samples: [{ t: t0, v: 5 }],
      },
    ]);
    // Explicit timestamps are honoured.
    expect(store.select(name("other"), 0, t0)[0]?.samples).toEqual([{ t: 1700000000000, v: 1 }]);
    expect(store.select(name("up"), t0, t0)[0]?.samples).toEqual([{ t: t0, v: 1 }]);
    expect(store.select(name("scrape_samples_scraped"), t0, t0)[0]?.samples).toEqual([{ t: t0, v: 2 }]);
    const d = store.select(name("scrape_duration_seconds"), t0, t0)[0]?.samples[0]?.v ?? -1;
    expect(d).toBeGreaterThanOrEqual(0);
  });

  test("a series that disappears gets a stale marker at the next scrape", async () => {
    const { scraper } = setup([target()]);
    body = 'a 1\nb{x="1"} 2\n';
    await scraper.scrapeOnce(target(), t0);
    body = "a 2\n";
    const r = await scraper.scrapeOnce(target(), t0 + 15_000);
    expect(r.staleMarkers).toBe(1);
    expect(store.select(name("b"), t0, t0 + 15_000)[0]?.samples).toEqual([
      { t: t0, v: 2 },
      { t: t0 + 15_000, v: Number.NaN, stale: true },
    ]);
    expect(store.select(name("a"), t0, t0 + 15_000)[0]?.samples.map((s) => s.v)).toEqual([1, 2]);
    // Already stale: not marked again.
    expect((await scraper.scrapeOnce(target(), t0 + 30_000)).staleMarkers).toBe(0);
  });

  const failures: [string, () => void, RegExp][] = [
    ["HTTP 500", () => (status = 500), /HTTP 500/],
    ["unparsable body", () => (body = "a 1\nb{ 2\n"), /line 2/],
    ["timeout", () => (delayMs = 300), /abort|timed? ?out/i],
  ];
  for (const [n, breakIt, msg] of failures) {
    test(`failure (${n}): up 0 and every series stale`, async () => {
      const { scraper } = setup([target()], 100);
      body = "a 1\nb 2\n";
      await scraper.scrapeOnce(target(), t0);
      breakIt();
      const r = await scraper.scrapeOnce(target(), t0 + 15_000);
      expect(r.up).toBe(false);
      expect(r.error).toMatch(msg);
      expect(r.staleMarkers).toBe(2);
      for (const m of ["a", "b"])
        expect(store.select(name(m), t0 + 15_000, t0 + 15_000)[0]?.samples[0]?.stale).toBe(true);
      expect(store.select(name("up"), t0, t0 + 15_000)[0]?.samples.map((s) => s.v)).toEqual([1, 0]);
      expect(store.select(name("scrape_samples_scraped"), t0 + 15_000, t0 + 15_000)[0]?.samples[0]?.v).toBe(
        0,
      );
    });
  }
});

describe("tick", () => {
  test("a removed target has all its series, report series included, marked stale", async () => {
    const { scraper, clock, setTargets } = setup([target()]);
    body = "a 1\n";
    await scraper.tick(clock.now());
    clock.advance(15_000);
    setTargets([]);
    await scraper.tick(clock.now());
    for (const m of ["a", "up", "scrape_duration_seconds", "scrape_samples_scraped"]) {
      const samples = store.select(name(m), t0, clock.now())[0]?.samples;
      expect(samples?.at(-1)).toEqual({ t: t0 + 15_000, v: Number.NaN, stale: true });
    }
  });

  test("start scrapes at once, then once per interval of the clock, skipping a target still being scraped", async () => {
    store = new MetricStore(":memory:");
    const clock = new FakeClock(t0);
    // Fetch times per instance, as offsets from t0 on the fake clock.
    const calls: Record<string, number[]> = { fast: [], slow: [] };
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const targets = ["fast", "slow"].map((instance) => ({
      job: "app",
      instance,
      url: `http://${instance}/m`,
    }));
    const scraper = createScraper({
      store,
      clock,
      targets: () => targets,
      intervalMs: 15_000,
      fetch: async (url) => {
        const which = url.includes("slow") ? "slow" : "fast";
        calls[which]?.push(clock.now() - t0);
        if (which === "slow") await gate;
        return new Response("a 1\n");
      },
    });
    scraper.start();
    await clock.advanceAsync(14_999);
    expect(calls).toEqual({ fast: [0], slow: [0] });
    await clock.advanceAsync(1);
    expect(calls).toEqual({ fast: [0, 15_000], slow: [0] });
    await clock.advanceAsync(15_000);
    // The slow target's first scrape is still running: its later rounds were skipped, not stacked.
    expect(calls).toEqual({ fast: [0, 15_000, 30_000], slow: [0] });
    release();
    await scraper.stop();
    const upAt = (instance: string) =>
      store
        .select([...name("up"), { name: "instance", op: "=", value: instance }], t0, t0 + 60_000)[0]
        ?.samples.map((x) => x.t - t0);
    expect(upAt("fast")).toEqual([0, 15_000, 30_000]);
    expect(upAt("slow")).toEqual([0]);
    // Stopped: the timer is gone and time passing scrapes nothing more.
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(60_000);
    expect(calls.fast).toHaveLength(3);
  });
});
