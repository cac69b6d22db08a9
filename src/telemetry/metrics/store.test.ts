import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Matcher } from "../types";
import { type AppendSample, MetricStore } from "./store";

const stores: MetricStore[] = [];
const files: string[] = [];
function tempPath(): string {
  const p = join(tmpdir(), `metrics-test-${crypto.randomUUID()}.db`);
  files.push(p, `${p}-wal`, `${p}-shm`);
  return p;
}
function open(headLimit?: number): MetricStore {
  const s = new MetricStore(":memory:", headLimit === undefined ? {} : { headLimit });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

const m = (name: string, op: Matcher["op"], value: string): Matcher => ({ name, op, value });

function seeded(headLimit?: number): MetricStore {
  const s = open(headLimit);
  const batch: AppendSample[] = [];
  for (const [job, code] of [
    ["api", "200"],
    ["api", "500"],
    ["web", "200"],
  ] as const) {
    for (let t = 0; t <= 60_000; t += 15_000) {
      batch.push({ labels: { __name__: "http_requests_total", job, code }, t, v: t / 1000 });
    }
  }
  batch.push({ labels: { __name__: "up", job: "api" }, t: 30_000, v: 1 });
  s.append(batch);
  return s;
}

describe("select", () => {
  const cases: { name: string; matchers: Matcher[]; start?: number; end?: number; want: string[] }[] = [
    {
      name: "= on name",
      matchers: [m("__name__", "=", "http_requests_total")],
      want: ["api/200", "api/500", "web/200"],
    },
    { name: "= two labels", matchers: [m("job", "=", "api"), m("code", "=", "500")], want: ["api/500"] },
    {
      name: "!=",
      matchers: [m("__name__", "=", "http_requests_total"), m("job", "!=", "api")],
      want: ["web/200"],
    },
    {
      name: "=~ anchored",
      matchers: [m("__name__", "=~", "http_.*"), m("code", "=~", "5..")],
      want: ["api/500"],
    },
    { name: "=~ not a substring match", matchers: [m("code", "=~", "0")], want: [] },
    { name: "!~", matchers: [m("__name__", "=~", "http.*"), m("code", "!~", "2.*")], want: ["api/500"] },
    { name: "= empty means absent", matchers: [m("job", "=", "api"), m("code", "=", "")], want: ["up"] },
    {
      name: "!= empty means present",
      matchers: [m("job", "=", "api"), m("code", "!=", "")],
      want: ["api/200", "api/500"],
    },
    {
      name: "no samples in range",
      matchers: [m("__name__", "=", "up")],
      start: 31_000,
      end: 90_000,
      want: [],
    },
  ];
  // headLimit 1 moves every append into the main table; the default keeps them in the head.
  for (const c of cases.flatMap((c) => [1, 50_000].map((headLimit) => ({ ...c, headLimit })))) {
    test(`${c.name} (headLimit ${c.headLimit})`, () => {
      const s = seeded(c.headLimit);
      const got = s
        .select(c.matchers, c.start ?? 0, c.end ?? 60_000)
        .map((x) => (x.labels.__name__ === "up" ? "up" : `${x.labels.job}/${x.labels.code}`))
        .sort();
      expect(got).toEqual(c.want);
    });
  }

  test("time range is inclusive at both ends", () => {
    const s = seeded();
    const [series] = s.select([m("job", "=", "web")], 15_000, 45_000);
    expect(series?.samples.map((x) => x.t)).toEqual([15_000, 30_000, 45_000]);
    expect(series?.labels).toEqual({ __name__: "http_requests_total", code: "200", job: "web" });
  });

  test("special values round-trip, stale markers keep their flag", () => {
    const s = open();
    const labels = { __name__: "x" };
    s.append([
      { labels, t: 1, v: Number.NaN },
      { labels, t: 2, v: Number.POSITIVE_INFINITY },
      { labels, t: 3, v: Number.NEGATIVE_INFINITY },
      { labels, t: 4, v: 0, stale: true },
      { labels, t: 5, v: 1.5 },
    ]);
    const got = s.select([m("__name__", "=", "x")], 0, 10)[0]?.samples;
    expect(got).toEqual([
      { t: 1, v: Number.NaN },
      { t: 2, v: Number.POSITIVE_INFINITY },
      { t: 3, v: Number.NEGATIVE_INFINITY },
      { t: 4, v: Number.NaN, stale: true },
      { t: 5, v: 1.5 },
    ]);
    expect(got?.[0]?.stale).toBeUndefined();
  });

  test("empty label values are the same series as absent labels; repeated t replaces", () => {
    const s = open();
    s.append([
      { labels: { __name__: "x", a: "" }, t: 1, v: 1 },
      { labels: { __name__: "x" }, t: 1, v: 2 },
    ]);
    expect(s.select([m("__name__", "=", "x")], 0, 10)).toEqual([
      { labels: { __name__: "x" }, samples: [{ t: 1, v: 2 }] },
    ]);
    expect(s.stats().series).toBe(1);
  });

  test("reopening a file keeps series and does not re-run migrations", () => {
    const path = tempPath();
    const a = new MetricStore(path);
    a.append([{ labels: { __name__: "x" }, t: 1, v: 1 }]);
    a.close();
    const b = new MetricStore(path);
    stores.push(b);
    b.append([{ labels: { __name__: "x" }, t: 2, v: 2 }]);
    expect(b.stats()).toMatchObject({ series: 1, samples: 2 });
    expect(b.db.query("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: 1 });
  });
});

describe("head", () => {
  test("later writes win across head and main table, out-of-order appends come back sorted", () => {
    const s = open();
    const labels = { __name__: "x" };
    s.append([
      { labels, t: 10, v: 1 },
      { labels, t: 30, v: 3 },
    ]);
    s.flush();
    s.append([
      { labels, t: 30, v: 33 },
      { labels, t: 20, v: 2 },
      { labels, t: 20, v: 22 },
    ]);
    const want = [
      { t: 10, v: 1 },
      { t: 20, v: 22 },
      { t: 30, v: 33 },
    ];
    expect(s.select([m("__name__", "=", "x")], 0, 100)[0]?.samples).toEqual(want);
    s.flush();
    expect(s.select([m("__name__", "=", "x")], 0, 100)[0]?.samples).toEqual(want);
  });

  test("head rows on disk are visible to another store opened on the same file", () => {
    const path = tempPath();
    const a = new MetricStore(path);
    stores.push(a);
    a.append([{ labels: { __name__: "x" }, t: 5, v: 0, stale: true }]);
    const b = new MetricStore(path);
    stores.push(b);
    expect(b.select([m("__name__", "=", "x")], 0, 10)[0]?.samples).toEqual([
      { t: 5, v: Number.NaN, stale: true },
    ]);
  });
});

describe("labels and series", () => {
  test("labelNames / labelValues, with and without matchers and range", () => {
    const s = seeded();
    expect(s.labelNames()).toEqual(["__name__", "code", "job"]);
    expect(s.labelNames([m("__name__", "=", "up")])).toEqual(["__name__", "job"]);
    expect(s.labelValues("job")).toEqual(["api", "web"]);
    expect(s.labelValues("code", [m("job", "=", "api")])).toEqual(["200", "500"]);
    expect(s.labelValues("__name__", [], 45_000, 60_000)).toEqual(["http_requests_total"]);
  });

  test("seriesMatching unions matcher sets without duplicates", () => {
    const s = seeded();
    const got = s.seriesMatching([[m("job", "=", "web")], [m("code", "=", "200")]], 0, 60_000);
    expect(got.map((l) => l.job).sort()).toEqual(["api", "web"]);
  });
});

describe("retention", () => {
  test("by age deletes old samples in batches and drops emptied series", () => {
    const s = open();
    const batch: AppendSample[] = [];
    for (let i = 0; i < 100; i++) batch.push({ labels: { __name__: "a" }, t: i * 1000, v: i });
    batch.push({ labels: { __name__: "old" }, t: 0, v: 1 });
    s.append(batch);
    const r = s.enforceRetention(100_000, { maxAgeMs: 50_000, batchSize: 7 });
    expect(r).toEqual({ samplesDeleted: 51, seriesDeleted: 1 });
    expect(s.select([m("__name__", "=", "a")], 0, 1e9)[0]?.samples[0]?.t).toBe(50_000);
    expect(s.stats()).toMatchObject({ series: 1, samples: 50 });
    // The dropped series comes back cleanly when written again.
    s.append([{ labels: { __name__: "old" }, t: 100_000, v: 2 }]);
    expect(s.select([m("__name__", "=", "old")], 0, 1e9)).toHaveLength(1);
  });

  test("by size deletes oldest samples first until under the limit", () => {
    const s = open();
    const batch: AppendSample[] = [];
    for (let k = 0; k < 20; k++) {
      for (let i = 0; i < 2000; i++)
        batch.push({ labels: { __name__: "m", k: String(k) }, t: i * 1000, v: i });
    }
    s.append(batch);
    const before = s.stats();
    const limit = Math.floor(before.dbBytes / 2);
    const r = s.enforceRetention(2_000_000, { maxBytes: limit });
    const after = s.stats();
    expect(r.samplesDeleted).toBeGreaterThan(0);
    expect(after.dbBytes).toBeLessThanOrEqual(limit);
    expect(after.samples).toBeGreaterThan(0);
    // Oldest first: what is left is the newest tail of every series.
    const series = s.select([m("__name__", "=", "m")], 0, 1e9);
    expect(series).toHaveLength(20);
    for (const x of series) expect(x.samples.at(-1)?.t).toBe(1_999_000);
    const oldest = Math.min(...series.map((x) => x.samples[0]?.t ?? 0));
    expect(oldest).toBeGreaterThan(0);
  });
});
