import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ftsQuery, LogStore } from "./store";

const T0 = Date.UTC(2026, 0, 1);
const api = { service: "api", stream: "stdout" };
const worker = { service: "worker", stream: "stderr" };

function seeded(): LogStore {
  const s = new LogStore(":memory:");
  s.append([
    { labels: api, t: T0 + 1000, line: "GET /users 200" },
    { labels: api, t: T0 + 2000, line: "database ConnectionError: refused" },
    { labels: worker, t: T0 + 1500, line: "job 1 done" },
    { labels: worker, t: T0 + 3000, line: "job 2 failed: error" },
    { labels: api, t: T0 + 4000, line: "GET /health 200" },
  ]);
  return s;
}

describe("LogStore", () => {
  test("applies migrations once, in WAL mode, on its own file", () => {
    const path = join(mkdtempSync(join(tmpdir(), "harness-logs-")), "logs.db");
    const a = new LogStore(path);
    a.append([{ labels: api, t: T0, line: "kept" }]);
    a.close();
    const b = new LogStore(path);
    expect(b.db.query("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: 1 });
    expect(b.db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    const ids = b.selectStreams([{ name: "service", op: "=", value: "api" }]).map((x) => x.id);
    expect(b.scan(ids, 0, T0 + 1, { direction: "forward", limit: 10 }).map((e) => e.line)).toEqual(["kept"]);
    b.close();
  });

  test("one stream per label set, independent of key order", () => {
    const s = seeded();
    s.append([{ labels: { stream: "stdout", service: "api" }, t: T0 + 5000, line: "x" }]);
    expect(s.selectStreams([{ name: "service", op: "=~", value: ".+" }])).toHaveLength(2);
  });

  test.each([
    [[{ name: "service", op: "=", value: "api" }], ["api"]],
    [[{ name: "service", op: "!=", value: "api" }], ["worker"]],
    [[{ name: "service", op: "=~", value: "a.*|w.*" }], ["api", "worker"]],
    [[{ name: "service", op: "!~", value: "a.*" }], ["worker"]],
    [[{ name: "service", op: "=~", value: "ap" }], []],
    [
      [
        { name: "service", op: "=~", value: ".+" },
        { name: "stream", op: "=", value: "stderr" },
      ],
      ["worker"],
    ],
    [[{ name: "missing", op: "=", value: "" }], ["api", "worker"]],
  ] as const)("selectStreams %j", (matchers, want) => {
    const s = seeded();
    expect(s.selectStreams([...matchers]).map((x) => x.labels.service)).toEqual([...want]);
  });

  test("scan orders by time both ways and honours limit and the time range", () => {
    const s = seeded();
    const ids = s.selectStreams([{ name: "service", op: "=~", value: ".+" }]).map((x) => x.id);
    const fwd = s.scan(ids, T0 + 1500, T0 + 3000, { direction: "forward", limit: 10 });
    expect(fwd.map((e) => e.t - T0)).toEqual([1500, 2000, 3000]);
    const back = s.scan(ids, T0, T0 + 10_000, { direction: "backward", limit: 2 });
    expect(back.map((e) => e.t - T0)).toEqual([4000, 3000]);
    expect(s.scan([], T0, T0 + 10_000, { direction: "forward", limit: 10 })).toEqual([]);
  });

  test.each([
    [["rror"], ["database ConnectionError: refused", "job 2 failed: error"]],
    [["Error"], ["database ConnectionError: refused"]],
    [["error"], ["job 2 failed: error"]],
    [["nnectionErr", "refused"], ["database ConnectionError: refused"]],
    [
      ["GET", "00"],
      ["GET /users 200", "GET /health 200"],
    ],
    [["o"], ["job 1 done", "database ConnectionError: refused", "job 2 failed: error"]],
    [['"quoted"'], []],
    [["absent"], []],
  ])("FTS pre-filter keeps substring semantics: %j", (terms, want) => {
    const s = seeded();
    const ids = s.selectStreams([{ name: "service", op: "=~", value: ".+" }]).map((x) => x.id);
    const got = s.scan(ids, 0, T0 + 10_000, { direction: "forward", limit: 100, containsAll: terms });
    expect(got.map((e) => e.line)).toEqual(want);
  });

  test("trigram candidates that are not substrings are re-checked away", () => {
    const s = new LogStore(":memory:");
    s.append([
      { labels: api, t: T0, line: "cab bca abc" },
      { labels: api, t: T0 + 1, line: "xabcabx" },
      { labels: api, t: T0 + 2, line: 'say "héllo" twice' },
    ]);
    const ids = s.selectStreams([{ name: "service", op: "=", value: "api" }]).map((x) => x.id);
    const find = (terms: string[]) =>
      s.scan(ids, 0, T0 + 10, { direction: "forward", limit: 10, containsAll: terms }).map((e) => e.line);
    expect(find(["abcab"])).toEqual(["xabcabx"]);
    expect(find(['"héllo"'])).toEqual(['say "héllo" twice']);
    expect(find(["hél", "ab"])).toEqual([]);
  });

  test.each([
    [["ab"], null],
    [["abcd"], '"abc" AND "bcd"'],
    [["héll"], '"hél" AND "éll"'],
    [['a"b'], '"a""b"'],
    [["abc", "xabc"], '"abc" AND "xab"'],
  ])("ftsQuery(%j)", (terms, want) => {
    expect(ftsQuery(terms)).toBe(want);
  });

  test("label names and values", () => {
    const s = seeded();
    expect(s.labelNames()).toEqual(["service", "stream"]);
    expect(s.labelValues("service")).toEqual(["api", "worker"]);
    expect(s.labelValues("nope")).toEqual([]);
  });

  test("retention by age deletes old entries in batches and drops empty streams", () => {
    const s = seeded();
    const r = s.enforceRetention(T0 + 2500 + 10_000, { maxAgeMs: 10_000, batchSize: 1 });
    expect(r).toEqual({ deleted: 3, streamsDeleted: 0 });
    const r2 = s.enforceRetention(T0 + 3500 + 10_000, { maxAgeMs: 10_000 });
    expect(r2).toEqual({ deleted: 1, streamsDeleted: 1 });
    expect(
      s.selectStreams([{ name: "service", op: "=~", value: ".+" }]).map((x) => x.labels.service),
    ).toEqual(["api"]);
    // The stream comes back when written again after its deletion.
    s.append([{ labels: worker, t: T0 + 20_000, line: "again" }]);
    expect(s.labelValues("service")).toEqual(["api", "worker"]);
  });

  test("retention by size removes the oldest entries first", () => {
    const s = new LogStore(":memory:");
    const pad = "x".repeat(400);
    s.append(Array.from({ length: 2000 }, (_, i) => ({ labels: api, t: T0 + i, line: `${i} ${pad}` })));
    const before = s.usedBytes();
    const r = s.enforceRetention(T0 + 2000, { maxBytes: Math.floor(before / 2) });
    expect(r.deleted).toBeGreaterThan(900);
    expect(r.deleted).toBeLessThan(2000);
    const ids = s.selectStreams([{ name: "service", op: "=", value: "api" }]).map((x) => x.id);
    const left = s.scan(ids, 0, T0 + 10_000, { direction: "forward", limit: 5000 });
    expect(left).toHaveLength(2000 - r.deleted);
    expect(left.at(-1)?.t).toBe(T0 + 1999);
    expect(left[0]?.t).toBe(T0 + r.deleted);
    // FTS stays consistent with the content table after deletes.
    const hits = s.scan(ids, 0, T0 + 10_000, { direction: "forward", limit: 10, containsAll: ["5 xxx"] });
    expect(hits.every((h) => h.line.includes("5 xxx"))).toBe(true);
    expect(s.db.query("INSERT INTO entries_fts (entries_fts) VALUES ('integrity-check')").run()).toBeTruthy();
  });
});
