import { describe, expect, test } from "bun:test";
import { testCore } from "../testing/core";
import { type Alert, fingerprints, personAlert } from "./intake";

const seen = { rule_kind: "invariant", rule: "Up", query: "up == 0", value: 1, labels: {}, data: {} };
const alert = (over: Partial<Alert> = {}): Alert => ({
  actor: "monitor",
  fingerprint: fingerprints.rule("invariant", "Up"),
  whileOpen: { event: "still_firing", data: { value: 1 } },
  linkRecurrence: true,
  observation: seen,
  ticket: {
    title: "Up violated",
    objective: "bring it up",
    source: "invariant",
    context: { rule: { kind: "invariant" } },
  },
  ...over,
});
const observationCount = (db: ReturnType<typeof testCore>["db"]) =>
  (db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM observations").get()?.n ?? 0) as number;

describe("intake", () => {
  test("opens one ticket per fingerprint with its observation; while open, the alert becomes an event", () => {
    const { core, db } = testCore();
    const first = core.intake.raise(alert());
    expect(first.action).toBe("created");
    if (first.action !== "created") throw new Error("unreachable");
    expect(first.ticket.observation_id).toBe(first.observation.id);
    expect(first.ticket.fingerprint).toBe("invariant:Up");
    // The producer's context keeps its keys; the observation's id is the intake's.
    expect(first.ticket.context).toMatchObject({
      rule: { kind: "invariant" },
      observation: { id: first.observation.id },
    });

    const again = core.intake.raise(alert());
    expect(again).toMatchObject({
      action: "updated",
      event: "still_firing",
      ticket: { id: first.ticket.id },
    });
    expect(core.tickets.events(first.ticket.id).map((e) => e.kind)).toEqual(["created", "still_firing"]);
    // No second observation for a problem already being worked.
    expect(observationCount(db)).toBe(1);
    core.intake.raise(alert({ whileOpen: null }));
    expect(core.tickets.events(first.ticket.id)).toHaveLength(2);
  });

  test("a recurrence links to the last ticket of its fingerprint", () => {
    const { core } = testCore();
    const first = core.intake.raise(alert());
    if (!first.ticket) throw new Error("no ticket");
    core.tickets.transition(first.ticket.id, "cancelled", "p");
    const second = core.intake.raise(alert());
    expect(second.action).toBe("created");
    expect(second.ticket?.parent_id).toBe(first.ticket.id);
    expect(second.ticket?.context.recurrence_of).toBe(first.ticket.id);
    const unlinked = core.intake.raise(alert({ fingerprint: "invariant:Other", linkRecurrence: false }));
    expect(unlinked.ticket?.parent_id).toBeNull();
  });

  test("a damped alert opens nothing and points at the ticket that stands for it", () => {
    const { core } = testCore();
    const flapping = core.intake.raise(alert({ fingerprint: fingerprints.flapping("invariant", "Up") }));
    const damped = core.intake.raise(alert({ dampedInto: fingerprints.flapping("invariant", "Up") }));
    expect(damped).toEqual({ action: "damped", ticket: flapping.ticket });
    expect(core.tickets.list().total).toBe(1);
  });

  test("a ticket that cannot be opened leaves no observation behind (one transaction)", () => {
    const { core, db } = testCore();
    expect(() => core.intake.raise(alert({ parentId: 999 }))).toThrow(/ticket 999 not found/);
    expect(() =>
      core.intake.raise(alert({ ticket: { title: "", objective: "o", source: "invariant" } })),
    ).toThrow(/title must not be empty/);
    expect(observationCount(db)).toBe(0);
    expect(core.tickets.list().total).toBe(0);
  });

  test("a person's ticket is strict: source, fingerprint and links are refused by name", () => {
    const { core } = testCore();
    for (const key of ["fingerprint", "source", "observation_id", "parent_id", "source_ref"])
      expect(() => personAlert("api", { title: "t", objective: "o", [key]: "invariant:Up" })).toThrow(
        new RegExp(key),
      );
    const t = core.intake.open(
      personAlert("cli", { title: "Look", objective: "at denials", priority: "P2" }),
    );
    expect(t).toMatchObject({ source: "human", priority: "P2", fingerprint: null, parent_id: null });
    expect(core.observations.get(t.observation_id as number)).toMatchObject({
      rule_kind: "human",
      rule: "cli",
    });
  });

  test("a ticket opened without a fingerprint still has its observation", () => {
    const { core } = testCore();
    const t = core.intake.open({
      actor: "pipeline",
      observation: seen,
      ticket: { title: "t", objective: "o" },
    });
    expect(t.observation_id).not.toBeNull();
  });
});
