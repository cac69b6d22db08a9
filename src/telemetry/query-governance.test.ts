import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../lib/clock";
import { AppError } from "../lib/errors";
import { createTelemetry } from "./embedded";
import { type QueryTask, validateTask } from "./query-exec";
import {
  checkRegex,
  defaultQueryLimits,
  nestedQuantifier,
  QueryBudget,
  type QueryLimits,
} from "./query-limits";

const dirs: string[] = [];
const closers: (() => void)[] = [];
afterAll(() => {
  for (const c of closers) c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T = 1_800_000_000_000;
const limits = (over: Partial<QueryLimits> = {}): QueryLimits => ({ ...defaultQueryLimits, ...over });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? `${err.code}: ${err.message}` : `other: ${String(err)}`;
  }
  return "ok";
}

describe("what a query may ask for is checked before any work", () => {
  test.each<[string, QueryTask, RegExp]>([
    [
      "infinite start",
      { kind: "promql_range", expr: "1", start: Number.POSITIVE_INFINITY, end: T, step: 1000 },
      /^invalid: invalid parameter "start"/,
    ],
    [
      "start past ±292 years",
      { kind: "promql_range", expr: "1", start: 1e19, end: 1e19, step: 1000 },
      /^invalid: .*"start"/,
    ],
    ["NaN time", { kind: "promql_instant", expr: "1", time: Number.NaN }, /^invalid: .*"time"/],
    [
      "end before start",
      { kind: "promql_range", expr: "1", start: T, end: T - 1, step: 1000 },
      /end timestamp must not be before/,
    ],
    [
      "zero step",
      { kind: "promql_range", expr: "1", start: T, end: T + 1, step: 0 },
      /step widths are not accepted/,
    ],
    [
      "infinite step",
      { kind: "promql_range", expr: "1", start: T, end: T + 1, step: Number.POSITIVE_INFINITY },
      /step widths/,
    ],
    [
      "too many points",
      { kind: "promql_range", expr: "1", start: T, end: T + 11_001_000, step: 1000 },
      /maximum resolution of 11000 points.*query.max_points/,
    ],
    [
      "a parse error is bad_data",
      { kind: "promql_instant", expr: "sum(rate(foo[5m])", time: T },
      /^invalid: /,
    ],
    ["a LogQL parse error", { kind: "logql_instant", query: "{", time: T }, /^invalid: /],
    [
      "too many log lines asked for",
      { kind: "logql_lines", query: '{a="b"}', start: T - 1000, end: T, limit: 5001, direction: "backward" },
      /max entries limit.*5001 > 5000/,
    ],
    [
      "a log query over 30 days",
      {
        kind: "logql_lines",
        query: '{a="b"}',
        start: T - 31 * 86_400_000,
        end: T,
        limit: 10,
        direction: "backward",
      },
      /query.logs.max_length = 721h/,
    ],
    [
      "a fine query",
      { kind: "promql_range", expr: "sum(rate(x[5m]))", start: T - 3_600_000, end: T, step: 15_000 },
      /^ok$/,
    ],
  ])("%s", (_name, task, expected) => {
    expect(codeOf(() => validateTask(task, limits()))).toMatch(expected);
  });

  test("the PromQL length limit applies only when set", () => {
    const task: QueryTask = {
      kind: "promql_range",
      expr: "1",
      start: T - 90 * 86_400_000,
      end: T,
      step: 3_600_000,
    };
    expect(codeOf(() => validateTask(task, limits()))).toBe("ok");
    expect(codeOf(() => validateTask(task, limits({ maxLengthMs: 86_400_000 })))).toMatch(
      /query.max_length = 24h/,
    );
  });
});

test("a budget stops a query at its samples limit (execution) and at its deadline (timeout)", () => {
  const b = new QueryBudget(limits({ maxSamples: 10 }), performance.now() + 60_000);
  b.charge(10);
  expect(codeOf(() => b.charge(1))).toMatch(/^execution: .*query.max_samples = 10/);
  const late = new QueryBudget(limits(), performance.now() - 1);
  expect(codeOf(() => late.check())).toMatch(/^timeout: .*query.timeout = 120s/);
  let stop = false;
  const c = new QueryBudget(limits(), performance.now() + 60_000, () => stop);
  stop = true;
  expect(codeOf(() => c.check())).toMatch(/^canceled: /);
});

test.each([
  ["(a+)+", true],
  ["(\\w+\\s?)*", true],
  ["((a|b)*)*", true],
  ["(a*){2,}", true],
  ["([a-z]+)*x", true],
  ["(foo|bar)+", false],
  [".*foo.*", false],
  ["(a+)?b", false],
  ["[(]+x", false], // a literal parenthesis in a class opens no group
  ["([)]+)", false],
  ["\\(a+\\)+", false],
  ["prometheus|node_exporter|rate-limiter", false],
])("nested quantifier in %p → %p", (re, nested) => {
  expect(nestedQuantifier(re)).toBe(nested);
});

test("regular expressions over the length limit or with nested quantifiers are bad_data", () => {
  expect(codeOf(() => checkRegex("a".repeat(40_000)))).toMatch(/^invalid: .*query.max_regex_length/);
  expect(codeOf(() => checkRegex("(a+)+b"))).toMatch(/^invalid: .*nested quantifiers/);
  expect(codeOf(() => checkRegex(Array.from({ length: 2000 }, (_, i) => `v${i}`).join("|")))).toBe("ok");
});

function telemetry(query?: Parameters<typeof createTelemetry>[0]["query"]) {
  const dataDir = mkdtempSync(join(tmpdir(), "harness-qgov-"));
  dirs.push(dataDir);
  const t = createTelemetry({ dataDir, clock: new FakeClock(T), log: () => {}, ...(query ? { query } : {}) });
  closers.push(() => t.close());
  t.store.append(
    Array.from({ length: 20 }, (_, i) => ({
      labels: { __name__: "up", instance: `i${i}` },
      t: T - 1000,
      v: 1,
    })),
  );
  return t;
}

/** The largest gap between ticks of a 10 ms timer on this thread while `work` runs: the event loop's lateness. */
async function loopLateness(work: Promise<unknown>): Promise<number> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  await work.catch(() => null);
  clearInterval(timer);
  return worst;
}

describe("queries run on worker threads under their limits", () => {
  test("a query answers from the store, including samples still in the writer's head", async () => {
    const t = telemetry();
    const r = await t.metrics.instantQuery("count(up)", T);
    expect(r).toMatchObject({ resultType: "vector", result: [{ v: 20 }] });
  });

  test("a runaway query times out with 503 timeout, and the main thread keeps its timers meanwhile", async () => {
    const t = telemetry({ limits: limits({ timeoutMs: 1_500 }), maxConcurrency: 2, maxQueued: 4 });
    const heavy = t.metrics.instantQuery("count_over_time((up * 2)[12h:1ms])", T);
    const lateness = await loopLateness(heavy);
    expect(await heavy.catch((e: AppError) => e.code)).toBe("timeout");
    // The event loop was never held: the worst tick was late by far less than the query ran.
    expect(lateness).toBeLessThan(500);
    // The pool is usable afterwards.
    expect(await t.metrics.instantQuery("count(up)", T)).toMatchObject({ result: [{ v: 20 }] });
  }, 20_000);

  test("a query past the samples limit fails with execution (422 in the API)", async () => {
    const t = telemetry({ limits: limits({ maxSamples: 1_000 }), maxConcurrency: 1, maxQueued: 4 });
    const err = await t.metrics.instantQuery("count_over_time(up[1h:1s])", T).catch((e: AppError) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("execution");
  });

  test("a query whose client goes away is canceled, queued or running", async () => {
    const t = telemetry({ limits: limits({ timeoutMs: 30_000 }), maxConcurrency: 1, maxQueued: 4 });
    const running = new AbortController();
    const queued = new AbortController();
    const first = t.pool.run(
      { kind: "promql_instant", expr: "count_over_time((up*2)[12h:1ms])", time: T },
      running.signal,
    );
    const second = t.pool.run({ kind: "promql_instant", expr: "count(up)", time: T }, queued.signal);
    await Bun.sleep(200);
    expect(t.pool.stats()).toMatchObject({ running: 1, queued: 1 });
    queued.abort();
    running.abort();
    expect(await second.catch((e: AppError) => e.code)).toBe("canceled");
    expect(await first.catch((e: AppError) => e.code)).toBe("canceled");
    expect(t.pool.stats().outcomes.canceled).toBe(2);
  }, 20_000);

  test("past max_concurrency and max_queued, a query is refused with 503 at once", async () => {
    const t = telemetry({ limits: limits({ timeoutMs: 5_000 }), maxConcurrency: 1, maxQueued: 1 });
    const slow = "count_over_time((up*2)[12h:1ms])";
    const a = t.pool.run({ kind: "promql_instant", expr: slow, time: T }).catch((e: AppError) => e.code);
    const b = t.pool.run({ kind: "promql_instant", expr: slow, time: T }).catch((e: AppError) => e.code);
    const c = await t.pool.run({ kind: "promql_instant", expr: "1", time: T }).catch((e: AppError) => e);
    expect((c as AppError).code).toBe("unavailable");
    expect((c as AppError).message).toMatch(/query.max_concurrency, query.max_queued/);
    expect(await a).toBe("timeout");
    expect(await b).toBe("timeout");
  }, 30_000);

  test("the Prometheus API answers the reproducers with a clear 4xx/503 in bounded time", async () => {
    const t = telemetry({ limits: limits({ timeoutMs: 2_000 }), maxConcurrency: 2, maxQueued: 8 });
    const get = async (path: string) => {
      const started = performance.now();
      const res = await t.routes.handle(new Request(`http://localhost${path}`));
      const body = (await res.json()) as { errorType?: string; error?: string };
      return { status: res.status, type: body.errorType, error: body.error, ms: performance.now() - started };
    };
    const nines = "9".repeat(400);
    expect(await get(`/api/v1/query_range?query=1&step=1&start=${nines}&end=${nines}`)).toMatchObject({
      status: 400,
      type: "bad_data",
    });
    expect(await get("/api/v1/query?query=sum(rate(foo%5B5m%5D)")).toMatchObject({
      status: 400,
      type: "bad_data",
    });
    const sub = await get("/api/v1/query?query=count_over_time(vector(1)%5B30d:1ms%5D)");
    expect(sub).toMatchObject({ status: 422, type: "execution" });
    expect(sub.ms).toBeLessThan(2_000);
    const regex = Array.from({ length: 150_000 }, (_, i) => `v${i}`).join("|");
    expect(await get(`/api/v1/query?query=${encodeURIComponent(`up{instance=~"${regex}"}`)}`)).toMatchObject({
      status: 400,
      type: "bad_data",
    });
    const slow = await get(`/api/v1/query?query=${encodeURIComponent("count_over_time((up*2)[12h:1ms])")}`);
    expect(slow).toMatchObject({ status: 503, type: "timeout" });
  }, 30_000);
});
