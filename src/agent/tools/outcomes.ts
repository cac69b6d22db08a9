import { z } from "zod";
import { AppError } from "../../lib/errors";
import { parseLogQL } from "../../telemetry/logs/logql-parse";
import { parse as parsePromQL } from "../../telemetry/promql/promql-parse";
import { SuccessCriterion } from "../../tickets/model";
import type { Tool } from "../types";
import answerText from "./answer.txt" with { type: "text" };
import needsHumanText from "./needs_human.txt" with { type: "text" };
import setSuccessCriteriaText from "./set_success_criteria.txt" with { type: "text" };

/**
 * How an attempt may end besides a fix: criteria that make a fix verifiable, findings without a fix, or a
 * hand-over to a person. A ticket without criteria can never be "verified" (the monitor sends it to a person),
 * so `finish` is refused until it has some.
 */

/**
 * Whether a criterion measures the service at all. The model proposes criteria, and a constant
 * (`vector(1) > 0`) would let any claim "verify": a PromQL criterion must select a series; LogQL metric queries
 * always do. A criterion that does not parse is refused too.
 */
export function unmeasurable(c: SuccessCriterion): string | null {
  try {
    if (c.language === "logql") {
      parseLogQL(c.query);
      return null;
    }
    let selects = false;
    parsePromQL(c.query)
      .toTree()
      .iterate({
        enter: (n) => {
          if (n.name === "VectorSelector") selects = true;
          return !selects;
        },
      });
    return selects ? null : `"${c.query}" selects no series: a constant cannot verify a fix`;
  } catch (err) {
    return `"${c.query}" does not parse: ${(err as Error).message}`;
  }
}

export const setSuccessCriteria: Tool = {
  name: "set_success_criteria",
  description: setSuccessCriteriaText.trim(),
  input: z.object({ criteria: z.array(SuccessCriterion).min(1).max(5) }),
  async run(input: { criteria: SuccessCriterion[] }, ctx) {
    const problems = input.criteria.map(unmeasurable).filter((p): p is string => p !== null);
    if (problems.length > 0) return { output: { refused: problems }, isError: true };
    try {
      const t = ctx.core.tickets.setCriteria(ctx.ticket.id, input.criteria, ctx.workerId, ctx.workerId);
      return { output: { success_criteria: t.success_criteria } };
    } catch (err) {
      if (err instanceof AppError) return { output: { refused: [err.message] }, isError: true };
      throw err;
    }
  },
} as Tool;

export const answer: Tool = {
  name: "answer",
  description: answerText.trim(),
  input: z.object({ findings: z.string().min(1).max(10_000) }),
  async run(input: { findings: string }) {
    return { output: { findings: input.findings }, control: "answer" };
  },
} as Tool;

export const needsHuman: Tool = {
  name: "needs_human",
  description: needsHumanText.trim(),
  input: z.object({ reason: z.string().min(1).max(10_000) }),
  async run(input: { reason: string }) {
    return { output: { reason: input.reason }, control: "needs_human" };
  },
} as Tool;
