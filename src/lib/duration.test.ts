import { expect, test } from "bun:test";
import {
  type DurationSyntax,
  durationError,
  formatDuration,
  goDuration,
  harnessDuration,
  logqlDuration,
  parseDuration,
  prometheusDuration,
  prometheusOrSeconds,
  readDuration,
} from "./duration";

const h = 3_600_000;

// [text, Prometheus model.ParseDuration, + seconds (API step, PromQL literals), Go time.ParseDuration, harness]
// null: refused. The Prometheus and Go columns are what those libraries answer.
const table: [string, ...(number | null)[]][] = [
  ["5m", 300_000, 300_000, 300_000, 300_000],
  ["1h30m", 1.5 * h, 1.5 * h, 1.5 * h, 1.5 * h],
  ["250ms", 250, 250, 250, 250],
  ["1y", 365 * 24 * h, 365 * 24 * h, null, 365 * 24 * h],
  ["2w", 14 * 24 * h, 14 * 24 * h, null, 14 * 24 * h],
  ["1d12h", 36 * h, 36 * h, null, 36 * h],
  ["0", 0, 0, 0, null],
  ["0s", 0, 0, 0, 0],
  ["30", null, 30_000, null, null],
  ["1.5", null, 1_500, null, null],
  ["1e3", null, 1_000_000, null, null],
  ["1.5h", null, null, 1.5 * h, 1.5 * h],
  ["1.1s", null, null, 1_100, 1_100],
  ["30m1h", null, null, 1.5 * h, 1.5 * h],
  ["1h1h", null, null, 2 * h, 2 * h],
  ["-5m", null, null, -300_000, null],
  ["+5m", null, null, 300_000, null],
  ["1500us", null, null, 1.5, null],
  ["1500µs", null, null, 1.5, null],
  ["2ns", null, null, 0.000002, null],
  ["5 m", null, null, null, null],
  ["5M", null, null, null, null],
  ["m", null, null, null, null],
  ["", null, null, null, null],
  ["5x", null, null, null, null],
  ["293y", null, null, null, 293 * 365 * 24 * h],
  ["292y", 292 * 365 * 24 * h, 292 * 365 * 24 * h, null, 292 * 365 * 24 * h],
];

const columns: [string, DurationSyntax][] = [
  ["prometheus", prometheusDuration],
  ["prometheus or seconds", prometheusOrSeconds],
  ["go", goDuration],
  ["harness", harnessDuration],
];

test.each(
  table.flatMap(([text, ...want]) => columns.map(([name, syntax], i) => [text, name, syntax, want[i]])),
)("%p as %s → %p", (text, _name, syntax, want) => {
  expect(readDuration(text as string, syntax as DurationSyntax)).toBe(want as number | null);
});

test.each([
  ["5m", 300_000],
  ["1.5s", 1_500], // Prometheus refuses it; Loki falls back to Go, which takes it
  ["1d", 86_400_000], // Go refuses it; Prometheus takes it first
  ["1.5d", null], // neither
])("a LogQL literal %p → %p", (text, want) => {
  expect(readDuration(text, ...logqlDuration)).toBe(want);
});

test("errors say why, in Go's words", () => {
  expect(durationError("5x", prometheusDuration)).toBe('not a valid duration string: "5x"');
  expect(durationError("300y", prometheusDuration)).toBe('duration out of range: "300y"');
  expect(() => parseDuration("soon")).toThrow('invalid duration "soon"');
});

test.each([
  [0, "0s"],
  [1_500, "1500ms"],
  [90_000, "90s"],
  [5_400_000, "90m"],
  [7_200_000, "2h"],
  [172_800_000, "2d"],
])("formatDuration(%p) → %p", (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
  expect(parseDuration(text)).toBe(ms);
});
