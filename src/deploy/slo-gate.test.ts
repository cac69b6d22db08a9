import { describe, expect, test } from "bun:test";
import type { Ticket } from "../tickets/model";
import { budgetGate, burnAfterDeploy, fixesSlo, type SloHealth } from "./slo-gate";

const avail: SloHealth = { id: 1, name: "availability", remaining: 0.02, burn5m: 3 };
const latency: SloHealth = { id: 2, name: "latency", remaining: 0.6, burn5m: 0.5 };
const ticket = (t: Partial<Ticket>) =>
  ({ id: 9, source: "human", fingerprint: null, source_ref: null, ...t }) as Ticket;

describe("error budget gate", () => {
  test.each([
    ["budget left everywhere", [latency], ticket({}), null, null],
    ["no data is not a spent budget", [{ ...avail, remaining: null }], ticket({}), null, null],
    ["a feature while a budget is spent", [avail, latency], ticket({}), null, /availability \(2\.0 % left\)/],
    ["the fix for that SLO", [avail], ticket({ source: "slo", fingerprint: "slo:availability" }), null, null],
    [
      "a follow-up of the fix",
      [avail],
      ticket({ parent_id: 3 }),
      ticket({ id: 3, source: "slo", source_ref: "slo:1" }),
      null,
    ],
    [
      "a fix for another SLO",
      [avail],
      ticket({ source: "slo", fingerprint: "slo:latency" }),
      null,
      /availability/,
    ],
  ] as const)("%s", (_, health, t, parent, refused) => {
    const r = budgetGate([...health], 0.05, t, parent);
    if (refused === null) expect(r).toBeNull();
    else expect(r).toMatch(refused);
  });

  test("the floor is configurable", () => {
    expect(budgetGate([latency], 0.7, ticket({}), null)).toMatch(/latency \(60\.0 % left\)/);
    expect(budgetGate([avail], 0.01, ticket({}), null)).toBeNull();
    expect(fixesSlo(ticket({ source: "invariant", fingerprint: "slo:availability" }), null, avail)).toBe(
      false,
    );
  });
});

describe("SLO burn during the watch", () => {
  test.each([
    ["quiet before and after", [{ ...avail, burn5m: 1 }], [{ ...avail, burn5m: 2 }], null],
    [
      "rises to the page rate",
      [{ ...avail, burn5m: 1 }],
      [{ ...avail, burn5m: 20 }],
      /availability burns 20\.0×/,
    ],
    ["was already burning", [{ ...avail, burn5m: 30 }], [{ ...avail, burn5m: 40 }], null],
    ["an SLO created during the deploy", [], [{ ...latency, burn5m: 15 }], /latency/],
    ["no data", [avail], [{ ...avail, burn5m: null }], null],
  ] as const)("%s", (_, before, after, verdict) => {
    const r = burnAfterDeploy([...before], [...after]);
    if (verdict === null) expect(r).toBeNull();
    else expect(r).toMatch(verdict);
  });
});
