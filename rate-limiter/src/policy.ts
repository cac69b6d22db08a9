import type { Config, ResolvedPolicy } from "./config";

/**
 * First policy whose every match entry is present in the descriptors with an equal value (`*` matches any
 * value); the default policy otherwise. A plain `key` request arrives as the descriptor `key`.
 */
export function matchPolicy(cfg: Config, descriptors: Record<string, string>): ResolvedPolicy {
  for (const p of cfg.policies) {
    const entries = Object.entries(p.match);
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
  const parts = Object.keys(descriptors)
    .sort()
    .map((k) => `${k}=${descriptors[k]}`);
  return `${policy.name}|${parts.join("|")}`;
}
