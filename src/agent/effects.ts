/**
 * What an action would do to the service, worked out from its arguments and the state it changes — the facts
 * the approval policy judges, instead of the tool's name. Pure functions over text; the worker gathers the
 * inputs (current and committed limits, the branch's changed files).
 */

export type EffectKind =
  | "limit_change"
  | "policy_removed"
  | "shadow_mode"
  | "fail_mode"
  | "store_change"
  | "timeout_bounds"
  | "client_contract"
  | "build_config"
  | "tests_with_code";

export interface Effect {
  kind: EffectKind;
  /** One sentence a person reads in the approval request. */
  detail: string;
}

export interface EffectBounds {
  /** A limit raised or lowered by more than this factor is a big change. */
  limitFactor: number;
  /** store.timeout_ms outside [min, max] milliseconds. */
  timeoutMs: { min: number; max: number };
}

interface LimitsDoc {
  domain?: unknown;
  deny_status?: unknown;
  store?: {
    type?: unknown;
    max_keys?: unknown;
    redis_url?: unknown;
    timeout_ms?: unknown;
    fail_open?: unknown;
  };
  default?: PolicyDoc;
  policies?: PolicyDoc[];
}

interface PolicyDoc {
  name?: unknown;
  match?: unknown;
  capacity?: unknown;
  refill_per_second?: unknown;
  requests_per_unit?: unknown;
  unit?: unknown;
  shadow_mode?: unknown;
}

const unitSeconds: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

/** The rate limiter's built-in defaults, for keys a file leaves out. */
const builtin = {
  capacity: 100,
  refill: 10,
  maxKeys: 100_000,
  timeoutMs: 20,
  failOpen: true,
  type: "memory",
  domain: "default",
  deny_status: 200,
};

function parse(text: string | null): LimitsDoc | null {
  if (text === null) return null;
  try {
    const doc = text.trim() === "" ? {} : Bun.YAML.parse(text);
    return doc && typeof doc === "object" && !Array.isArray(doc) ? (doc as LimitsDoc) : null;
  } catch {
    return null;
  }
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function refillPerSecond(p: PolicyDoc | undefined): number | undefined {
  if (!p) return undefined;
  const direct = num(p.refill_per_second);
  if (direct !== undefined) return direct;
  const per = num(p.requests_per_unit);
  const unit = unitSeconds[String(p.unit ?? "second")];
  return per !== undefined && unit ? per / unit : undefined;
}

/** How far `after` is from `before`, as a factor ≥ 1 (0 to something, or something to 0, is infinite). */
export function changeFactor(before: number, after: number): number {
  if (before === after) return 1;
  if (before <= 0 || after <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(after / before, before / after);
}

function fmtFactor(f: number): string {
  return Number.isFinite(f)
    ? `×${f >= 10 ? Math.round(f) : f.toFixed(2).replace(/\.?0+$/, "")}`
    : "from or to zero";
}

function limitEffect(
  what: string,
  before: number | undefined,
  after: number | undefined,
  b: EffectBounds,
): Effect | null {
  if (before === undefined || after === undefined) return null;
  const f = changeFactor(before, after);
  if (f <= b.limitFactor) return null;
  return {
    kind: "limit_change",
    detail: `${what} ${before} → ${after} (${fmtFactor(f)}, more than ×${b.limitFactor})`,
  };
}

function policyName(p: PolicyDoc, i: number): string {
  return typeof p.name === "string" ? p.name : `#${i + 1}`;
}

/**
 * Effects of replacing the limits file `before` (null: none, or unreadable) with `after`. A file the service's
 * validator accepts parses here too; an unreadable `after` has no effects to judge (the validator refuses it).
 */
export function configEffects(beforeText: string | null, afterText: string, b: EffectBounds): Effect[] {
  const after = parse(afterText);
  if (!after) return [];
  const before = parse(beforeText) ?? {};
  const out: Effect[] = [];
  const push = (e: Effect | null) => {
    if (e) out.push(e);
  };
  const bs = before.store ?? {};
  const as = after.store ?? {};

  push(
    limitEffect(
      "store.max_keys",
      num(bs.max_keys) ?? builtin.maxKeys,
      num(as.max_keys) ?? builtin.maxKeys,
      b,
    ),
  );
  const bt = num(bs.timeout_ms) ?? builtin.timeoutMs;
  const at = num(as.timeout_ms) ?? builtin.timeoutMs;
  if (at !== bt && (at < b.timeoutMs.min || at > b.timeoutMs.max))
    out.push({
      kind: "timeout_bounds",
      detail: `store.timeout_ms ${bt} → ${at}, outside ${b.timeoutMs.min}–${b.timeoutMs.max} ms`,
    });
  else push(limitEffect("store.timeout_ms", bt, at, b));
  const bFail = bs.fail_open ?? builtin.failOpen;
  const aFail = as.fail_open ?? builtin.failOpen;
  if (bFail !== aFail)
    out.push({
      kind: "fail_mode",
      detail: `store.fail_open ${String(bFail)} → ${String(aFail)} (${aFail ? "allow" : "deny"} every request when the store fails)`,
    });
  const bType = bs.type ?? builtin.type;
  const aType = as.type ?? builtin.type;
  if (bType !== aType)
    out.push({ kind: "store_change", detail: `store.type ${String(bType)} → ${String(aType)}` });
  if (aType === "redis" && bs.redis_url !== as.redis_url)
    out.push({
      kind: "store_change",
      detail: `store.redis_url changes to ${String(as.redis_url ?? "(default)")}`,
    });
  for (const key of ["domain", "deny_status"] as const) {
    const was = before[key] ?? builtin[key];
    const is = after[key] ?? builtin[key];
    if (was !== is)
      out.push({
        kind: "client_contract",
        detail: `${key} ${String(was)} → ${String(is)} changes what every client sees`,
      });
  }

  const bDefault = before.default;
  const aDefault = after.default;
  const defCap = (p: PolicyDoc | undefined) => num(p?.capacity) ?? builtin.capacity;
  const defRefill = (p: PolicyDoc | undefined) => refillPerSecond(p) ?? builtin.refill;
  push(limitEffect("default capacity", defCap(bDefault), defCap(aDefault), b));
  push(limitEffect("default refill per second", defRefill(bDefault), defRefill(aDefault), b));
  if ((bDefault?.shadow_mode === true) !== (aDefault?.shadow_mode === true))
    out.push({
      kind: "shadow_mode",
      detail: `default policy shadow_mode → ${String(aDefault?.shadow_mode === true)}`,
    });

  const bPolicies = Array.isArray(before.policies) ? before.policies : [];
  const aPolicies = Array.isArray(after.policies) ? after.policies : [];
  const byName = new Map(bPolicies.map((p, i) => [policyName(p, i), p]));
  const kept = new Set<string>();
  aPolicies.forEach((p, i) => {
    const name = policyName(p, i);
    const old = byName.get(name);
    kept.add(name);
    // A new policy takes over requests the default used to decide: compare it with the default.
    const base = old ?? { capacity: defCap(bDefault), refill_per_second: defRefill(bDefault) };
    const label = old ? `policy ${name}` : `new policy ${name} (against the default)`;
    push(limitEffect(`${label} capacity`, num(base.capacity), num(p.capacity), b));
    push(limitEffect(`${label} refill per second`, refillPerSecond(base), refillPerSecond(p), b));
    if (old && (old.shadow_mode === true) !== (p.shadow_mode === true))
      out.push({
        kind: "shadow_mode",
        detail: `policy ${name} shadow_mode → ${String(p.shadow_mode === true)}`,
      });
    if (old && JSON.stringify(old.match ?? {}) !== JSON.stringify(p.match ?? {}))
      out.push({
        kind: "limit_change",
        detail: `policy ${name} now matches ${JSON.stringify(p.match ?? {})}`,
      });
  });
  for (const name of byName.keys())
    if (!kept.has(name)) out.push({ kind: "policy_removed", detail: `policy ${name} is removed` });
  return out;
}

/** Files that decide how the service is built and tested: a change to one changes what "tests pass" means. */
export const defaultBuildConfigPatterns = [
  "package.json",
  "bun.lock",
  "bun.lockb",
  "bunfig.toml",
  "tsconfig.json",
  "tsconfig.*.json",
  "jsconfig.json",
  "jsconfig.*.json",
  ".env",
  ".env.*",
  ".npmrc",
  "biome.json",
  "*.config.js",
  "*.config.ts",
  "*.config.mjs",
  "*.config.cjs",
  "Dockerfile",
  ".github/**",
];

/** A tiny glob: `*` within a segment, `**` across segments; a pattern without `/` matches the file name at any depth. */
export function globMatch(pattern: string, path: string): boolean {
  const target = pattern.includes("/") ? path : (path.split("/").at(-1) as string);
  const re = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${re}$`, "i").test(target);
}

/** Test files by the conventions Bun, Jest and Vitest share. */
export function isTestPath(path: string): boolean {
  return (
    /[._-](test|spec)\.[cm]?[jt]sx?$/i.test(path) ||
    /(^|\/)(__tests__|tests?)\//i.test(path) ||
    /(^|\/)testing\//i.test(path)
  );
}

const isSourcePath = (path: string) => /\.[cm]?[jt]sx?$/i.test(path) && !isTestPath(path);

/**
 * Effects of an edit of `path`, given the files the ticket's branch already changes against main. Tests edited
 * in the same change as the code they test could be weakened to let the change pass, so the pair needs a
 * person by default; a change to build or test configuration changes what passing means.
 */
export function editEffects(
  path: string,
  branchFiles: readonly string[],
  buildConfig: readonly string[],
): Effect[] {
  const out: Effect[] = [];
  if (buildConfig.some((p) => globMatch(p, path)))
    out.push({ kind: "build_config", detail: `${path} configures how the service is built or tested` });
  const files = new Set([...branchFiles, path]);
  const tests = [...files].filter(isTestPath);
  const code = [...files].filter(isSourcePath);
  const touchesBoth = tests.length > 0 && code.length > 0 && (isTestPath(path) || isSourcePath(path));
  if (touchesBoth)
    out.push({
      kind: "tests_with_code",
      detail: `the branch would change tests (${tests.slice(0, 3).join(", ")}) together with code (${code.slice(0, 3).join(", ")})`,
    });
  return out;
}
