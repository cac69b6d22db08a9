import { describe, expect, test } from "bun:test";
import { parseConfig } from "./config";
import { bucketKey, matchPolicy } from "./policy";

const yaml = `
domain: api
deny_status: 429
default: { name: default, capacity: 100, refill_per_second: 10 }
policies:
  - name: login
    match: { path: /login }
    capacity: 5
    requests_per_unit: 60
    unit: minute
  - name: tenant-any
    match: { tenant: "*" }
    capacity: 50
    refill_per_second: 5
    shadow_mode: true
`;

describe("config", () => {
  test("policies resolve rates from either form", () => {
    const c = parseConfig(yaml);
    expect(c.domain).toBe("api");
    expect(c.denyStatus).toBe(429);
    expect(c.policies[0]?.refillPerSecond).toBe(1);
    expect(c.policies[0]?.windowSeconds).toBe(5);
    expect(c.policies[1]?.shadow).toBe(true);
    expect(c.hash).toMatch(/^[0-9a-f]{12}$/);
  });

  test.each([
    [{ path: "/login" }, "login"],
    [{ path: "/login", user: "x" }, "login"],
    [{ tenant: "acme" }, "tenant-any"],
    [{ path: "/other" }, "default"],
    [{ key: "u1" }, "default"],
  ])("descriptors %p match policy %s", (descriptors, name) => {
    expect(matchPolicy(parseConfig(yaml), descriptors).name).toBe(name);
  });

  test.each([
    [{ key: "u1" }, "default|key=u1"],
    [{ path: "/login", user: "x" }, "default|path=/login|user=x"],
    [{ user: "x", path: "/login" }, "default|path=/login|user=x"],
    [{}, "default|"],
  ])("descriptors %p have the bucket %s, whatever their order", (descriptors, key) => {
    expect(bucketKey(parseConfig(yaml).fallback, descriptors)).toBe(key);
  });

  test.each([
    ["policies:\n  - name: x\n    capacity: -1\n    refill_per_second: 1\n", /policies\.0\.capacity/],
    ["policies:\n  - name: x\n    capacity: 1\n", /refill_per_second/],
    ["store: { type: memcached }\n", /store\.type/],
    ["bogus: 1\n", /bogus|Unrecognized/],
    ["policies: [\n", /not valid YAML/],
    [
      "policies:\n  - {name: a, capacity: 1, refill_per_second: 1}\n  - {name: a, capacity: 2, refill_per_second: 1}\n",
      /duplicate policy name/,
    ],
  ])("rejects %p naming the problem", (text, message) => {
    expect(() => parseConfig(text)).toThrow(message);
  });

  test("a slow refill_per_second is reported in the smallest unit where it is a whole number", () => {
    const c = parseConfig(
      "policies:\n  - { name: a, match: { k: a }, capacity: 5, refill_per_second: 0.5 }\n  - { name: b, match: { k: b }, capacity: 5, refill_per_second: 0.0001 }\n",
    );
    expect(c.policies.map((p) => p.unit)).toEqual(["minute", "day"]);
    expect(c.fallback.unit).toBe("second");
  });

  test("numeric match values in YAML match their string form on the wire", () => {
    const c = parseConfig(
      "policies:\n  - { name: p80, match: { port: 80 }, capacity: 1, refill_per_second: 1 }\n",
    );
    expect(matchPolicy(c, { port: "80" }).name).toBe("p80");
  });

  test("the hash is of the file's bytes, so a comment change is a new config", () => {
    expect(parseConfig("domain: a\n").hash).not.toBe(parseConfig("domain: a # x\n").hash);
  });

  test("an empty file means the built-in default", () => {
    const c = parseConfig("");
    expect(c.fallback.capacity).toBe(100);
  });
});
