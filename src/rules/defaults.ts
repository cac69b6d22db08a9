import type { InvariantInput } from "./model";

/** Rules every fresh harness starts with, so the loop has something to watch before anyone configures it. */
export const defaultInvariants: InvariantInput[] = [
  {
    name: "RateLimiterDown",
    query: 'up{job="rate-limiter"} == 0',
    for: "30s",
    severity: "critical",
    description: "A rate-limiter instance does not answer its metrics scrape",
  },
];
