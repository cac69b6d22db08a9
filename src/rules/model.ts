import { z } from "zod";
import { durationText, ruleName } from "../lib/parse";
import type { Priority } from "../tickets/model";

const duration = durationText();

export const Severity = z.enum(["critical", "high", "warning", "info"]);
export type Severity = z.infer<typeof Severity>;
export const severityPriority: Record<Severity, Priority> = {
  critical: "P1",
  high: "P2",
  warning: "P3",
  info: "P4",
};

/** PromQL through the metrics backend, or a LogQL metric query through the logs backend. */
export const QueryLanguage = z.enum(["promql", "logql"]);
export type QueryLanguage = z.infer<typeof QueryLanguage>;

export const InvariantInput = z.object({
  name: ruleName,
  query: z.string().trim().min(1, "query must not be empty").max(4000),
  language: QueryLanguage.default("promql"),
  for: duration.default("0s"),
  severity: Severity.default("warning"),
  description: z.string().max(2000).default(""),
  enabled: z.boolean().default(true),
});
export type InvariantInput = z.input<typeof InvariantInput>;

export interface Invariant {
  id: number;
  name: string;
  query: string;
  language: QueryLanguage;
  for: string;
  for_ms: number;
  severity: Severity;
  description: string;
  enabled: boolean;
  created_at: number;
  updated_at: number;
}

export const SliInput = z
  .object({
    bad: z.string().min(1).max(4000).optional(),
    good: z.string().min(1).max(4000).optional(),
    total: z.string().min(1).max(4000),
  })
  .refine((s) => (s.bad === undefined) !== (s.good === undefined), {
    message: "give exactly one of bad or good",
  });

export const SloInput = z.object({
  name: ruleName,
  service: z.string().trim().min(1).max(100).default("rate-limiter"),
  description: z.string().max(2000).default(""),
  objective: z
    .number()
    .gt(0, "objective must be a percentage between 0 and 100")
    .lt(100, "objective must be a percentage between 0 and 100"),
  window: duration.default("30d"),
  sli: SliInput,
  /**
   * Low-traffic guard: a burn-rate alert fires only while the SLI's total events over the alert's long window
   * average at least this many per second, so a handful of failed requests on an idle service does not page.
   */
  min_rate: z.number().min(0).max(1_000_000).default(0),
  enabled: z.boolean().default(true),
});
export type SloInput = z.input<typeof SloInput>;

export interface Slo {
  id: number;
  name: string;
  service: string;
  description: string;
  objective: number;
  window: string;
  window_ms: number;
  sli: z.infer<typeof SliInput>;
  min_rate: number;
  enabled: boolean;
  created_at: number;
  updated_at: number;
}
