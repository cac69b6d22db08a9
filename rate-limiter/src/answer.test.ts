import { describe, expect, test } from "bun:test";
import { checkAnswerObject, checkAnswerText } from "./answer";
import type { Decision } from "./bucket";
import type { ResolvedPolicy } from "./config";
import { rateLimitHeaderLines, rateLimitHeaders } from "./headers";

const policy = (name: string, shadow = false, capacity = 100): ResolvedPolicy => ({
  name,
  match: {},
  capacity,
  refillPerSecond: 10,
  windowSeconds: 10,
  unit: "second",
  shadow,
});
const decision = (
  allowed: boolean,
  remaining: number,
  retryAfterMs: number,
  resetAfterMs: number,
): Decision => ({
  allowed,
  remaining,
  retryAfterMs,
  resetAfterMs,
  state: { tokens: remaining, updatedMs: 0 },
});

describe("the /v1/check answer, written out", () => {
  test.each([
    ["allowed", policy("default"), decision(true, 99, 0, 100), true],
    ["denied", policy("login"), decision(false, 0, 350, 10_000), false],
    ["denied, never payable", policy("login"), decision(false, 3, Number.POSITIVE_INFINITY, 9700), false],
    ["shadow-denied", policy("tenant-any", true), decision(false, 0, 100, 10_000), true],
    ["a name that needs escaping", policy('we"ird\\name\n€'), decision(true, 5, 0, 1), true],
    ["a name beyond the BMP", policy("rate 🚦 ü\u007f"), decision(true, 5, 0, 1), true],
    ["a fractional capacity", policy("half", false, 2.5), decision(true, 1, 0, 150), true],
  ])("%s: the same text JSON.stringify gives for the answer object", (_, p, d, allowed) => {
    const text = checkAnswerText(p, d, allowed);
    const reference = JSON.stringify(checkAnswerObject(p, d, allowed));
    // ASCII throughout (the listener counts its bytes by its length), and the same JSON.
    expect(text).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(text)).toEqual(JSON.parse(reference));
    if (/^[\x20-\x7e]*$/.test(reference)) expect(text).toBe(reference);
    expect(JSON.parse(text).policy).toBe(p.name);
  });

  test("a number that is not finite still gives valid JSON", () => {
    const text = checkAnswerText(policy("p"), decision(true, Number.NaN, 0, 1), true);
    expect(JSON.parse(text).remaining).toBeNull();
  });
});

describe("the hot route's header lines", () => {
  test.each([
    ["allowed", policy("default"), decision(true, 99, 0, 1500), ""],
    ["denied", policy("login"), decision(false, 0, 350, 10_000), ""],
    ["denied, never payable", policy("login"), decision(false, 3, Number.POSITIVE_INFINITY, 9700), ""],
    ["shadow-denied", policy("tenant-any", true), decision(false, 0, 100, 10_000), ""],
    ["with an instance line", policy('we"ird name'), decision(true, 5, 0, 1), "x-instance: a\r\n"],
  ])("%s: the same headers rateLimitHeaders gives, as CRLF lines", (_, p, d, extra) => {
    const lines = Object.entries(rateLimitHeaders(p, d))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    expect(rateLimitHeaderLines(p, d, extra)).toBe(lines + extra);
  });
});
