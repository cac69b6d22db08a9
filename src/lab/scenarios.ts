import { z } from "zod";

/**
 * Declarative fault scenarios. Faults come from outside the service: process signals, an operator's
 * config edit, traffic. `expect` names the rule that must detect it (none for the control).
 */
export const Scenario = z.object({
  name: z.string(),
  description: z.string(),
  fault: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("hang") }),
    z.object({
      kind: z.literal("key_explosion"),
      max_keys: z.number().int().positive(),
      keys: z.number().int().positive(),
      rate: z.number().positive(),
      duration: z.string(),
    }),
    z.object({ kind: z.literal("bad_config"), content: z.string() }),
    z.object({ kind: z.literal("none"), duration: z.string() }),
  ]),
  expect: z.object({ rule: z.string().nullable(), kind: z.enum(["invariant", "slo", "anomaly"]).nullable() }),
  detect_within: z.string(),
  resolve_within: z.string(),
});
export type Scenario = z.infer<typeof Scenario>;

export const scenarios: Scenario[] = [
  {
    name: "hung-instance",
    description:
      "The rate limiter stops answering (SIGSTOP): scrapes time out, the instance must be restarted.",
    fault: { kind: "hang" },
    expect: { rule: "RateLimiterDown", kind: "invariant" },
    detect_within: "30s",
    resolve_within: "60s",
  },
  {
    name: "key-cardinality-explosion",
    description:
      "An operator shrinks the key capacity, then many distinct keys arrive: headroom falls below 20 %.",
    fault: { kind: "key_explosion", max_keys: 40, keys: 500, rate: 200, duration: "1s" },
    expect: { rule: "RateLimiterKeyHeadroomLow", kind: "invariant" },
    detect_within: "30s",
    resolve_within: "60s",
  },
  {
    name: "crash-loop-after-bad-config",
    description:
      "An operator writes an invalid limits file and the instance restarts: it exits at every start.",
    fault: { kind: "bad_config", content: "default: { name: broken, capacity: -1, refill_per_second: 1 }\n" },
    // The rejected reload usually gives it away first; the crash loop follows if nothing is done.
    expect: { rule: "RateLimiterConfigReloadFailing|crash-looping", kind: "invariant" },
    detect_within: "40s",
    resolve_within: "180s",
  },
  {
    name: "no-fault-control",
    description: "Ordinary traffic and nothing else: no ticket may open.",
    fault: { kind: "none", duration: "10s" },
    expect: { rule: null, kind: null },
    detect_within: "10s",
    resolve_within: "0s",
  },
];
