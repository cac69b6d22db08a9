import { z } from "zod";
import { Priority, SuccessCriterion } from "../tickets/model";

/** Any other system: a small, explicit shape. `dedup_key` makes retries and repeats idempotent. */
export const GenericWebhook = z.object({
  title: z.string().trim().min(1).max(300),
  objective: z.string().trim().min(1).max(10_000),
  priority: Priority.default("P3"),
  dedup_key: z.string().min(1).max(300).optional(),
  source_name: z.string().max(100).default("generic"),
  success_criteria: z.array(SuccessCriterion).max(20).default([]),
  context: z.record(z.string(), z.unknown()).default({}),
});
export type GenericWebhook = z.infer<typeof GenericWebhook>;
