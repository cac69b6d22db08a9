import { expect, test } from "bun:test";
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
