import { expect, test } from "bun:test";
import { checkCriterion } from "../monitor/criteria";
import { testCore } from "../testing/core";
import { openCrashLoopTicket } from "./crash-loop-ticket";

test("a crash loop opens one P1 ticket with an observation; repeats become events", () => {
  const { core } = testCore();
  const id = openCrashLoopTicket(core, "rate-limiter-0", { code: 1, restarts: 5 });
  const t = core.tickets.get(id as number);
  expect(t).toMatchObject({ priority: "P1", source: "invariant", status: "pending" });
  expect(core.observations.get(t.observation_id as number).rule).toBe("ServiceCrashLoop");
  expect(openCrashLoopTicket(core, "rate-limiter-0", { code: 1, restarts: 6 })).toBe(id);
  expect(core.tickets.events(id as number).map((e) => e.kind)).toEqual(["created", "still_firing"]);
});

test("its criterion fails while the instance is never scraped (no `up` at all) and holds once it is up", () => {
  const { core } = testCore();
  const t = core.tickets.get(openCrashLoopTicket(core, "rate-limiter-0", { code: 1 }) as number);
  const [c] = t.success_criteria;
  if (!c) throw new Error("no criterion");
  const vector = (vs: number[]) => ({
    resultType: "vector" as const,
    result: vs.map((v) => ({ labels: { instance: "rate-limiter-0" }, t: 0, v })),
  });
  expect(checkCriterion(c, vector([])).pass).toBe(false);
  expect(checkCriterion(c, vector([1])).pass).toBe(true);
});
