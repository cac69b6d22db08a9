/**
 * Seeded generators of hostile input for the query engines and the API: expressions built from the grammar
 * with extreme ranges, steps, offsets, regexes and numbers, then sometimes mutated into syntax errors; times
 * that are not times; bodies that are not what their route expects. Deterministic for a seed, so a failing
 * input can be replayed from the fuzz run's report.
 */

export type Rand = () => number;

/** mulberry32: small and deterministic. */
export function rand(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const chance = (r: Rand, p: number) => r() < p;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const metrics = ["up", "fuzz_requests_total", "fuzz_latency_seconds_bucket", "fuzz_gauge", "no_such_metric"];
const labels = ["job", "instance", "code", "le", "__name__", "zone"];
const values = ["", "api", "fuzz", "200", "500", "0.1", "+Inf", "ä", '\\"', "x".repeat(300)];
const regexes = [
  ".*",
  ".+",
  "a|b|c",
  "(a+)+",
  "(\\w+\\s?)*",
  "[",
  "(?i)API",
  "\\d+",
  Array.from({ length: 400 }, (_, i) => `v${i}`).join("|"),
  "a{1,100000}",
];
const durations = [
  "1ms",
  "1s",
  "15s",
  "1m",
  "5m",
  "1h",
  "1d",
  "30d",
  "400d",
  "0s",
  "-5m",
  "99999999999999999999y",
];
const numbers = ["0", "1", "-1", "0.5", "1e308", "-1e308", "NaN", "Inf", "-Inf", "0x1F", "1e-320"];

function matcher(r: Rand): string {
  const name = pick(r, labels);
  const op = pick(r, ["=", "!=", "=~", "!~"]);
  const value = op.includes("~") ? pick(r, regexes) : pick(r, values);
  return `${name}${op}${JSON.stringify(value)}`;
}

function selector(r: Rand): string {
  const ms = Array.from({ length: int(r, 0, 3) }, () => matcher(r));
  const name = chance(r, 0.85) ? pick(r, metrics) : "";
  if (!name && ms.length === 0) ms.push(matcher(r));
  return `${name}{${ms.join(",")}}`;
}

function modifiers(r: Rand): string {
  let out = "";
  if (chance(r, 0.15)) out += ` offset ${pick(r, durations)}`;
  if (chance(r, 0.1)) out += ` @ ${pick(r, ["start()", "end()", "0", "1e12", "-1e12", "1800000000"])}`;
  return out;
}

function rangeVector(r: Rand, depth: number): string {
  if (depth < 3 && chance(r, 0.3))
    return `(${promql(r, depth + 1)})[${pick(r, durations)}:${pick(r, [...durations, ""])}]${modifiers(r)}`;
  return `${selector(r)}[${pick(r, durations)}]${modifiers(r)}`;
}

const rangeFns = [
  "rate",
  "irate",
  "increase",
  "delta",
  "deriv",
  "count_over_time",
  "avg_over_time",
  "max_over_time",
  "quantile_over_time",
  "changes",
  "resets",
  "predict_linear",
  "absent_over_time",
  "last_over_time",
];
const instantFns = [
  "abs",
  "ceil",
  "exp",
  "ln",
  "sqrt",
  "round",
  "timestamp",
  "sort",
  "sort_desc",
  "absent",
  "vector",
  "scalar",
  "histogram_quantile",
  "label_replace",
  "label_join",
  "clamp",
  "clamp_min",
  "time",
  "day_of_week",
];
const aggs = [
  "sum",
  "avg",
  "min",
  "max",
  "count",
  "stddev",
  "topk",
  "bottomk",
  "quantile",
  "count_values",
  "group",
];
const binops = [
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "==",
  "!=",
  ">",
  "<",
  ">=",
  "<=",
  "and",
  "or",
  "unless",
  "atan2",
];

/** A PromQL expression from the grammar, `depth` deep at most. */
export function promql(r: Rand, depth = 0): string {
  const choice = depth > 3 ? int(r, 0, 1) : int(r, 0, 7);
  switch (choice) {
    case 0:
      return selector(r) + modifiers(r);
    case 1:
      return pick(r, numbers);
    case 2: {
      const fn = pick(r, rangeFns);
      const extra = fn === "quantile_over_time" ? `${pick(r, numbers)}, ` : "";
      const tail = fn === "predict_linear" ? `, ${pick(r, numbers)}` : "";
      return `${fn}(${extra}${rangeVector(r, depth)}${tail})`;
    }
    case 3: {
      const fn = pick(r, instantFns);
      if (fn === "label_replace")
        return `label_replace(${promql(r, depth + 1)}, "dst", "$1", ${JSON.stringify(pick(r, labels))}, ${JSON.stringify(pick(r, regexes))})`;
      if (fn === "histogram_quantile")
        return `histogram_quantile(${pick(r, numbers)}, ${promql(r, depth + 1)})`;
      if (fn === "clamp") return `clamp(${promql(r, depth + 1)}, ${pick(r, numbers)}, ${pick(r, numbers)})`;
      if (fn === "time") return "time()";
      return `${fn}(${promql(r, depth + 1)})`;
    }
    case 4: {
      const agg = pick(r, aggs);
      const param = ["topk", "bottomk", "quantile"].includes(agg)
        ? `${pick(r, numbers)}, `
        : agg === "count_values"
          ? '"v", '
          : "";
      const by = chance(r, 0.5) ? ` ${pick(r, ["by", "without"])} (${pick(r, labels)})` : "";
      return `${agg}${by}(${param}${promql(r, depth + 1)})`;
    }
    case 5: {
      const op = pick(r, binops);
      const bool = ["==", "!=", ">", "<"].includes(op) && chance(r, 0.3) ? " bool" : "";
      const matching = chance(r, 0.2)
        ? ` on(${pick(r, labels)}) ${pick(r, ["group_left", "group_right", ""])}`
        : "";
      return `${promql(r, depth + 1)} ${op}${bool}${matching} ${promql(r, depth + 1)}`;
    }
    case 6:
      return `(${promql(r, depth + 1)})`;
    default:
      return `-${promql(r, depth + 1)}`;
  }
}

/** Breaks a string the way a careless or hostile client would: cut, doubled, a character swapped. */
export function mutate(r: Rand, s: string): string {
  if (s.length === 0) return "(";
  const at = int(r, 0, s.length - 1);
  switch (int(r, 0, 4)) {
    case 0:
      return s.slice(0, at);
    case 1:
      return (
        s.slice(0, at) +
        pick(r, ["(", ")", "{", "}", "[", "]", '"', "\\", "\0", "@", "\u202e", "😀"]) +
        s.slice(at)
      );
    case 2:
      return s.slice(0, at) + s.slice(at + 1);
    case 3:
      return s + s;
    default:
      return s.repeat(int(r, 2, 50));
  }
}

const streamSelectors = [
  '{service="rate-limiter"}',
  '{job=~".+"}',
  '{level!="info"}',
  '{service=~"(a+)+"}',
  "{}",
  '{x=""}',
];
const lineFilters = ['|= "denied"', '!= "x"', '|~ "err.*"', '!~ "(a|b)+"', '|= ""', '|~ "("'];
const stages = [
  "| json",
  "| logfmt",
  '| line_format "{{.msg}}"',
  '| label_format x="{{.level}}"',
  "| unwrap bytes",
  '| level="error"',
  "| drop level",
  "| keep msg",
  "| pattern `<_> <x>`",
];

/** A LogQL log or metric query. */
export function logql(r: Rand): string {
  let q = pick(r, streamSelectors);
  for (let i = int(r, 0, 3); i > 0; i--) q += ` ${chance(r, 0.5) ? pick(r, lineFilters) : pick(r, stages)}`;
  if (chance(r, 0.5)) {
    const fn = pick(r, [
      "count_over_time",
      "rate",
      "bytes_over_time",
      "sum_over_time",
      "absent_over_time",
      "quantile_over_time",
    ]);
    const param = fn === "quantile_over_time" ? `${pick(r, numbers)}, ` : "";
    q = `${fn}(${param}${q} [${pick(r, durations)}])`;
    if (chance(r, 0.5))
      q = `${pick(r, ["sum", "topk(3,", "max"])} ${chance(r, 0.5) ? "by (level) " : ""}(${q})`.replace(
        "topk(3, by (level) (",
        "topk(3, (",
      );
  }
  return q;
}

/** A time parameter: mostly sane, sometimes nothing like a time. */
export function time(r: Rand, nowSec: number): string {
  if (chance(r, 0.75)) return String(nowSec - int(r, 0, 7200));
  return pick(r, [
    "9".repeat(400),
    "-9".repeat(200),
    "NaN",
    "Infinity",
    "1e400",
    "",
    "2026-13-45T99:00:00Z",
    "now",
    "0",
    "-1",
    "1.5.5",
    "0x10",
  ]);
}

export function step(r: Rand): string {
  if (chance(r, 0.8)) return pick(r, ["15", "60", "1m", "5s", "0.5"]);
  return pick(r, ["0", "-1", "1ms", "0.001", "NaN", "", "1y", "9".repeat(40), "abc"]);
}

/** A request body for a write route: valid-ish, truncated, the wrong format, or a bomb. */
export function body(
  r: Rand,
  nowMs: number,
): { path: string; type: string; encoding?: string; data: Uint8Array | string } {
  const kind = int(r, 0, 7);
  const junk = () => new Uint8Array(Array.from({ length: int(r, 0, 2048) }, () => int(r, 0, 255)));
  switch (kind) {
    case 0:
      return { path: "/api/v1/write", type: "application/x-protobuf", encoding: "snappy", data: junk() };
    case 1:
      return {
        path: "/api/v1/import/prometheus",
        type: "text/plain",
        data: mutate(r, `fuzz_gauge{zone="${pick(r, values)}"} ${pick(r, numbers)} ${nowMs}\n`),
      };
    case 2:
      return {
        path: "/api/v1/import/prometheus",
        type: "text/plain",
        encoding: "gzip",
        data: chance(r, 0.5) ? Bun.gzipSync(new Uint8Array(int(r, 0, 1_000_000))) : junk(),
      };
    case 3:
      return {
        path: "/loki/api/v1/push",
        type: "application/json",
        data: mutate(
          r,
          JSON.stringify({
            streams: [{ stream: { service: "fuzz" }, values: [[String(nowMs * 1e6), "line"]] }],
          }),
        ),
      };
    case 4:
      return { path: "/loki/api/v1/push", type: "application/json", encoding: "gzip", data: junk() };
    case 5:
      return {
        path: "/api/v1/tickets",
        type: "application/json",
        data: mutate(
          r,
          JSON.stringify({ title: "t", objective: "o", priority: pick(r, ["P1", "P9", 1, null]) }),
        ),
      };
    case 6:
      return {
        path: "/api/v1/webhooks/generic",
        type: "application/json",
        data: mutate(r, JSON.stringify({ title: "x", objective: "y" })),
      };
    default:
      return {
        path: "/api/v1/slos",
        type: "application/json",
        data: pick(r, ["null", "[]", "{}", '{"name":1}', mutate(r, '{"name":"a","objective":0.99}')]),
      };
  }
}
