import type { Config, ResolvedPolicy } from "./config";

// A policy's match entries, listed once per loaded config instead of once per policy per check.
const matchEntries = new WeakMap<ResolvedPolicy, [string, string][]>();
function entriesOf(p: ResolvedPolicy): [string, string][] {
  let e = matchEntries.get(p);
  if (!e) {
    e = Object.entries(p.match);
    matchEntries.set(p, e);
  }
  return e;
}

/**
 * First policy whose every match entry is present in the descriptors with an equal value (`*` matches any
 * value); the default policy otherwise. A plain `key` request arrives as the descriptor `key`.
 */
export function matchPolicy(cfg: Config, descriptors: Record<string, string>): ResolvedPolicy {
  for (const p of cfg.policies) {
    const entries = entriesOf(p);
    if (
      entries.length > 0 &&
      entries.every(([k, v]) => Object.hasOwn(descriptors, k) && (v === "*" || descriptors[k] === v))
    )
      return p;
  }
  return cfg.fallback;
}

/** Bucket identity: the policy plus every descriptor, order-independent. */
export function bucketKey(policy: ResolvedPolicy, descriptors: Record<string, string>): string {
  // The common request names one descriptor; its key needs no sorting.
  let only: string | undefined;
  let n = 0;
  for (const k in descriptors) {
    only = k;
    if (++n > 1) break;
  }
  if (n === 1 && only !== undefined) return `${policy.name}|${only}=${descriptors[only]}`;
  const parts = Object.keys(descriptors)
    .sort()
    .map((k) => `${k}=${descriptors[k]}`);
  return `${policy.name}|${parts.join("|")}`;
}
