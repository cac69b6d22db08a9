import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipBomb, snappyBomb } from "../../testing/bombs";
import type { Labels } from "../types";
import { handleImportPrometheus, handleRemoteWrite, type SampleSink } from "./ingest";
import { INGEST_LIMITS, type IngestLimits } from "./limits";
import { encodeRemoteWrite } from "./remote-write";
import { SnappyError, snappyCompress, snappyDecompress } from "./snappy";
import { MetricStore } from "./store";

const MiB = 2 ** 20;
const now = 1_700_000_000_000;
const stores: MetricStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
const open = () => {
  const s = new MetricStore(":memory:");
  stores.push(s);
  return s;
};

const importReq = (body: BodyInit, headers: Record<string, string> = {}, query = "") =>
  new Request(`http://x/api/v1/import/prometheus${query}`, { method: "POST", body, headers });
const writeReq = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://x/api/v1/write", {
    method: "POST",
    body,
    headers: { "content-encoding": "snappy", "content-type": "application/x-protobuf", ...headers },
  });
const rw = (labels: Labels) => encodeRemoteWrite([{ labels, samples: [{ t: now, v: 1 }] }]) as BodyInit;

/** A body whose bytes never come: only a handler that refuses from the headers answers. */
const silent = () => new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
/** A body that never ends. */
const endless = () =>
  new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new TextEncoder().encode("a 1\n".repeat(16384))) });

/** Answers `req` and measures time and resident-memory growth, so a bomb shows what it cost. */
async function measure(handle: () => Promise<Response>) {
  Bun.gc(true);
  const rss = process.memoryUsage().rss;
  const started = performance.now();
  const res = await handle();
  return {
    res,
    ms: performance.now() - started,
    grew: process.memoryUsage().rss - rss,
    text: await res.text(),
  };
}

describe("bodies past their size are 413, without reading or inflating them", () => {
  const cases: [string, () => Promise<Response>, RegExp][] = [
    [
      "gzip bomb (0.5 MB → 512 MiB) on import",
      () =>
        handleImportPrometheus(
          importReq(gzipBomb(512) as BodyInit, { "content-encoding": "gzip" }),
          open(),
          now,
        ),
      /limit of 33554432/,
    ],
    [
      "snappy bomb declaring 1 GiB on remote write",
      () => handleRemoteWrite(writeReq(snappyBomb(1024) as BodyInit), open(), now),
      /inflates to 1073741824 bytes, over the limit of 33554432/,
    ],
    [
      "gzip body declared over 8 MiB",
      () =>
        handleImportPrometheus(
          importReq(silent(), { "content-encoding": "gzip", "content-length": String(9 * MiB) }),
          open(),
          now,
        ),
      /limit of 8388608/,
    ],
    [
      "remote write declared over 8 MiB",
      () => handleRemoteWrite(writeReq(silent(), { "content-length": String(100 * MiB) }), open(), now),
      /limit of 8388608/,
    ],
    [
      "plain import body that never ends",
      () => handleImportPrometheus(importReq(endless()), open(), now),
      /limit of 33554432/,
    ],
  ];
  test.each(cases)("%s", async (_name, handle, message) => {
    const { res, ms, grew, text } = await measure(handle);
    expect(res.status).toBe(413);
    expect(text).toMatch(message);
    expect(ms).toBeLessThan(3000);
    expect(grew).toBeLessThan(100 * MiB);
  });

  test("a snappy header that claims more than its body can hold fails before allocating", () => {
    // 30 MiB is within the limit, but 48 KB of snappy cannot decode to it (a byte yields at most 64/3).
    const started = performance.now();
    expect(() => snappyDecompress(snappyBomb(30), 32 * MiB)).toThrow(/cannot come from/);
    expect(() => snappyDecompress(snappyBomb(30), 32 * MiB)).toThrow(SnappyError);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe("labels, series and samples past their limits are 400 naming the limit", () => {
  const big = "x".repeat(10 * MiB);
  const euro2049 = "€".repeat(683); // 683 UTF-16 units, 2049 UTF-8 bytes
  const manyLabels = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`l${i}`, "v"]));
  const imports: [string, string, string, RegExp][] = [
    ["a 10 MB label value", `a{x="${big}"} 1\n`, "", /value of label "x".*max_label_value_length/],
    ["a value of 2049 UTF-8 bytes", `a{x="${euro2049}"} 1\n`, "", /max_label_value_length/],
    ["a 1025-byte label name", `a{${"n".repeat(1025)}="v"} 1\n`, "", /max_label_name_length/],
    ["65 labels", `a{${Object.keys(manyLabels).map((k) => `${k}="v"`)}} 1\n`, "", /max_labels_per_series/],
    [
      "a long extra_label",
      "a 1\n",
      `?extra_label=job=${"j".repeat(3000)}`,
      /extra_label.*max_label_value_length/,
    ],
  ];
  test.each(imports)("import: %s", async (_name, body, query, message) => {
    const store = open();
    const res = await handleImportPrometheus(importReq(body, {}, query), store, now);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(message);
    expect(store.stats().samples).toBe(0);
  });

  const writes: [string, Labels, RegExp][] = [
    [
      "a 3000-byte label value",
      { __name__: "a", x: "v".repeat(3000) },
      /value of label "x".*max_label_value_length/,
    ],
    ["a value of 2049 UTF-8 bytes", { __name__: "a", x: euro2049 }, /max_label_value_length/],
    ["a 1025-byte label name", { __name__: "a", ["n".repeat(1025)]: "v" }, /max_label_name_length/],
    ["65 labels", { __name__: "a", ...manyLabels }, /max_labels_per_series/],
  ];
  test.each(writes)("remote write: %s", async (_name, labels, message) => {
    const store = open();
    const res = await handleRemoteWrite(writeReq(rw(labels)), store, now);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(message);
    expect(store.stats().samples).toBe(0);
  });

  test("exactly at the limits is accepted", async () => {
    const store = open();
    const labels = {
      __name__: "a",
      ...Object.fromEntries(Object.entries(manyLabels).slice(2)), // 62 + __name__ + x = 64
      x: "v".repeat(2048),
    };
    expect((await handleRemoteWrite(writeReq(rw(labels)), store, now)).status).toBe(204);
    const text = `a{x="${"€".repeat(682)}"} 1\n`; // 2046 bytes
    expect((await handleImportPrometheus(importReq(text), store, now)).status).toBe(204);
    expect(store.stats().samples).toBe(2);
  });

  const small: IngestLimits = { ...INGEST_LIMITS, maxSeriesPerRequest: 2, maxSamplesPerRequest: 3 };
  const counts: [string, () => Promise<Response>, RegExp][] = [
    [
      "import: 3 series",
      () => handleImportPrometheus(importReq("a 1\nb 1\nc 1\n"), open(), now, small),
      /line 3: request has more than 2 series \(max_series_per_request\)/,
    ],
    [
      "import: 4 samples of one series",
      () =>
        handleImportPrometheus(
          importReq(`a 1 ${now - 3}\na 1 ${now - 2}\na 1 ${now - 1}\na 1\n`),
          open(),
          now,
          small,
        ),
      /more than 3 samples \(max_samples_per_request\)/,
    ],
    [
      "remote write: 3 series",
      () =>
        handleRemoteWrite(
          writeReq(
            encodeRemoteWrite(
              ["a", "b", "c"].map((n) => ({ labels: { __name__: n }, samples: [{ t: now, v: 1 }] })),
            ) as BodyInit,
          ),
          open(),
          now,
          small,
        ),
      /more than 2 series \(max_series_per_request\)/,
    ],
    [
      "remote write: 4 samples",
      () =>
        handleRemoteWrite(
          writeReq(
            encodeRemoteWrite([
              { labels: { __name__: "a" }, samples: [1, 2, 3, 4].map((i) => ({ t: now - i, v: i })) },
            ]) as BodyInit,
          ),
          open(),
          now,
          small,
        ),
      /more than 3 samples \(max_samples_per_request\)/,
    ],
  ];
  test.each(counts)("%s", async (_name, handle, message) => {
    const res = await handle();
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(message);
  });
});

test("a busy database is a 503 the sender retries, not a 4xx it drops", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "harness-ingest-")), "busy.db");
  const holder = new Database(path);
  holder.run("CREATE TABLE t (x INTEGER)");
  holder.run("BEGIN IMMEDIATE");
  const other = new Database(path);
  other.run("PRAGMA busy_timeout = 0");
  const sink: SampleSink = { append: () => other.run("INSERT INTO t VALUES (1)") };
  const res = await handleRemoteWrite(writeReq(rw({ __name__: "a" })), sink, now);
  other.close();
  holder.close();
  expect(res.status).toBe(503);
  expect(await res.text()).toMatch(/SQLITE_BUSY/);
});

test("snappyCompress output stays within the ratio the decoder trusts", () => {
  const zeros = new Uint8Array(4 * MiB);
  expect(snappyDecompress(snappyCompress(zeros))).toEqual(zeros);
});
