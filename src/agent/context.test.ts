import { expect, test } from "bun:test";
import type { MetricsBackend } from "../telemetry/types";
import { testCore } from "../testing/core";
import { testTicket } from "../testing/tickets";
import { buildBrief, fitBrief } from "./context";

test("the brief carries the criteria's values now, related tickets and recent changes", async () => {
  const { core } = testCore();
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async () => ({ resultType: "vector", result: [{ labels: { job: "x" }, t: 0, v: 3 }] }),
    rangeQuery: async () => ({ resultType: "matrix", result: [] }),
  };
  const old = testTicket(
    core,
    { title: "earlier", objective: "o", fingerprint: "invariant:Q", source: "invariant" },
    "m",
  );
  core.tickets.transition(old.id, "cancelled", "p");
  core.tickets.addEvent(old.id, "config_change", "agent", { file: "limits.yaml", hash: "abc" });
  const t = testTicket(
    core,
    {
      title: "now",
      objective: "o",
      fingerprint: "invariant:Q",
      source: "invariant",
      success_criteria: [{ query: "q", comparator: "<", threshold: 1 }],
    },
    "m",
  );
  const brief = await buildBrief(core, metrics, t, null);
  expect(brief.criteria_now).toEqual([{ query: "q", comparator: "<", threshold: 1, value: 3, pass: false }]);
  expect(brief.related_tickets).toMatchObject([{ id: old.id, status: "cancelled" }]);
  expect(brief.recent_changes).toMatchObject([{ kind: "config_change", ticket: old.id, hash: "abc" }]);
});

test("an oversized brief is cut with a note saying how to get more", () => {
  const cut = fitBrief("x".repeat(50_000), 1000);
  expect(cut.length).toBeLessThan(1200);
  expect(cut).toContain("context truncated at 1000 characters");
  expect(fitBrief("small")).toBe("small");
});
