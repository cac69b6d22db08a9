import { expect, test } from "bun:test";
import {
  changeFactor,
  configEffects,
  defaultBuildConfigPatterns,
  editEffects,
  globMatch,
  isTestPath,
} from "./effects";

const bounds = { limitFactor: 2, timeoutMs: { min: 1, max: 1000 } };

const base = `domain: default
default:
  name: default
  capacity: 100
  refill_per_second: 10
store:
  max_keys: 100000
  timeout_ms: 20
policies:
  - name: login
    match: { path: /login }
    capacity: 5
    requests_per_unit: 30
    unit: minute
`;

/** `base` with one line replaced. */
const edit = (from: string, to: string) => {
  if (!base.includes(from)) throw new Error(`not in base: ${from}`);
  return base.replace(from, to);
};

test.each([
  ["nothing changes", base, []],
  ["capacity ×2 is within the factor", edit("capacity: 100", "capacity: 200"), []],
  ["capacity ×10⁷ (the injected change)", edit("capacity: 100", "capacity: 1000000000"), ["limit_change"]],
  ["capacity ÷4", edit("capacity: 100", "capacity: 25"), ["limit_change"]],
  ["refill to zero", edit("refill_per_second: 10", "refill_per_second: 0"), ["limit_change"]],
  ["max_keys ×1.5 (the runbook's raise)", edit("max_keys: 100000", "max_keys: 150000"), []],
  ["max_keys ÷2500", edit("max_keys: 100000", "max_keys: 40"), ["limit_change"]],
  ["timeout ×2 (the runbook's raise)", edit("timeout_ms: 20", "timeout_ms: 40"), []],
  ["timeout beyond the bounds", edit("timeout_ms: 20", "timeout_ms: 5000"), ["timeout_bounds"]],
  ["fail-closed", edit("timeout_ms: 20", "timeout_ms: 20\n  fail_open: false"), ["fail_mode"]],
  ["store switched to Redis", edit("max_keys: 100000", "type: redis\n  max_keys: 100000"), ["store_change"]],
  ["policy removed", base.slice(0, base.indexOf("policies:")), ["policy_removed"]],
  ["policy per minute → per second (×60)", edit("unit: minute", "unit: second"), ["limit_change"]],
  ["policy to shadow mode", edit("unit: minute", "unit: minute\n    shadow_mode: true"), ["shadow_mode"]],
  ["policy now matches everything", edit("match: { path: /login }", "match: {}"), ["limit_change"]],
  ["domain changed", edit("domain: default", "domain: other"), ["client_contract"]],
  [
    "a new policy far below the default",
    `${base}  - name: punish\n    match: { key: "*" }\n    capacity: 1\n    refill_per_second: 0.01\n`,
    ["limit_change", "limit_change"],
  ],
  [
    "a new policy near the default",
    `${base}  - name: tenant\n    match: { tenant: "*" }\n    capacity: 150\n    refill_per_second: 10\n`,
    [],
  ],
])("%s", (_name, after, kinds) => {
  expect(configEffects(base, after, bounds).map((e): string => e.kind)).toEqual(kinds as string[]);
});

test("effects say what changes, by how much, in one sentence each", () => {
  const [e] = configEffects(base, edit("capacity: 100", "capacity: 1000000000"), bounds);
  expect(e?.detail).toBe("default capacity 100 → 1000000000 (×10000000, more than ×2)");
});

test("a missing or unreadable file before is compared with the service's built-in defaults", () => {
  expect(configEffects(null, "default: { name: d, capacity: 100, refill_per_second: 10 }", bounds)).toEqual(
    [],
  );
  expect(configEffects("limits: [unclosed", "store: { max_keys: 1 }", bounds).map((e) => e.kind)).toEqual([
    "limit_change",
  ]);
  // An unreadable new file has nothing to judge: the service's validator refuses it.
  expect(configEffects(base, "limits: [unclosed", bounds)).toEqual([]);
});

test("the factor is symmetric and infinite through zero", () => {
  expect(changeFactor(10, 20)).toBe(2);
  expect(changeFactor(20, 10)).toBe(2);
  expect(changeFactor(0, 1)).toBe(Number.POSITIVE_INFINITY);
  expect(changeFactor(5, 5)).toBe(1);
});

test.each([
  ["package.json", true],
  ["sub/package.json", true],
  ["bunfig.toml", true],
  ["tsconfig.build.json", true],
  ["vite.config.ts", true],
  ["jsconfig.json", true],
  [".env.test", true],
  [".github/workflows/ci.yml", true],
  ["src/bucket.ts", false],
  ["src/package.json.ts", false],
])("build config %p → %p", (path, matched) => {
  expect(defaultBuildConfigPatterns.some((p) => globMatch(p, path))).toBe(matched);
});

test.each([
  ["src/bucket.test.ts", true],
  ["src/bucket.spec.tsx", true],
  ["src/bucket_test.ts", true],
  ["test/helpers.ts", true],
  ["src/__tests__/x.ts", true],
  ["src/testing/tcp-client.ts", true],
  ["src/bucket.ts", false],
  ["src/contest.ts", false],
])("test path %p → %p", (path, isTest) => {
  expect(isTestPath(path)).toBe(isTest);
});

test.each([
  ["code alone", "src/bucket.ts", [], []],
  ["tests alone", "src/bucket.test.ts", [], []],
  ["a test after code on the same branch", "src/bucket.test.ts", ["src/bucket.ts"], ["tests_with_code"]],
  ["code after a test on the same branch", "src/bucket.ts", ["src/bucket.test.ts"], ["tests_with_code"]],
  ["docs beside code and tests", "README.md", ["src/a.ts", "src/a.test.ts"], []],
  ["the test script", "package.json", [], ["build_config"]],
  ["bunfig with a preload", "bunfig.toml", ["src/a.ts"], ["build_config"]],
])("edit: %s", (_name, path, branch, kinds) => {
  expect(editEffects(path, branch, defaultBuildConfigPatterns).map((e): string => e.kind)).toEqual(
    kinds as string[],
  );
});
