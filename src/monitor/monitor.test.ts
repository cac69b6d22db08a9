import { describe, expect, test } from "bun:test";
import { MetricStore } from "../telemetry/metrics/store";
import { instantQuery, rangeQuery } from "../telemetry/promql/promql";
import type { Labels, MetricsBackend } from "../telemetry/types";
import { testCore } from "../testing/core";
import { createMonitor } from "./monitor";

const start = Date.UTC(2026, 0, 5, 0, 0, 0);

// The real monitor over the real embedded store and engine; only the clock is fake.
function setup() {
  const { core, clock } = testCore(start);
  const store = new MetricStore(":memory:");
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async (e, t) => instantQuery(store, e, t),
    rangeQuery: async (e, s, en, st) => rangeQuery(store, e, s, en, st),
  };
  const logs: string[] = [];
  const monitor = createMonitor({
    core,
    metrics,
    intervalMs: 15_000,
    verificationTimeoutMs: 600_000,
    maxAttempts: 2,
    log: (m) => logs.push(m),
  });
  const push = (labels: Labels, v: number, t = clock.now()) => store.append([{ labels, t, v }]);
  const finish = (id: number) => {
    const t = core.tickets.claimNext("agent", 60_000);
    expect(t?.id).toBe(id);
    core.tickets.transition(id, "verifying", "agent", { leaseOwner: "agent", resolution: "fixed" });
  };
  return { core, clock, store, monitor, push, finish, logs };
}

/** An hour of a steady gauge (100–104) every 15 s: the history an anomaly detector judges against. */
function calmHour(push: ReturnType<typeof setup>["push"], clock: ReturnType<typeof setup>["clock"]) {
  for (let i = 0; i < 240; i++) {
    push({ __name__: "rate_gauge" }, 100 + ((i * 7) % 5));
    clock.advance(15_000);
  }
}

describe("invariants", () => {
  test("fire after `for`, de-duplicate while open, verify the fix over `for`, and link a recurrence", async () => {
    const { core, clock, monitor, push, finish } = setup();
    core.rules.createInvariant({
      name: "QueueTooLong",
      query: "queue_length > 10",
      for: "2m",
      severity: "high",
    });
    const tickAt = async (v: number) => {
      push({ __name__: "queue_length", job: "svc" }, v);
      await monitor.tick();
      clock.advance(60_000);
    };
    await tickAt(50);
    await tickAt(50);
    expect(core.tickets.list().total).toBe(0); // pending for 1m of the 2m
    await tickAt(60);
    const [t] = core.tickets.list().items;
    expect(t).toMatchObject({ source: "invariant", priority: "P2", fingerprint: "invariant:QueueTooLong" });
    const obs = core.observations.get(t?.observation_id as number);
    expect(obs).toMatchObject({
      rule: "QueueTooLong",
      value: 60,
      labels: { __name__: "queue_length", job: "svc" },
    });
    await tickAt(70);
    expect(core.tickets.list().total).toBe(1);
    finish(t?.id as number);
    await tickAt(5); // fixed, but must hold for 2m
    expect(core.tickets.get(t?.id as number).status).toBe("verifying");
    await tickAt(5);
    await tickAt(5);
    const done = core.tickets.get(t?.id as number);
    expect(done.status).toBe("completed");
    const verification = core.tickets.events(done.id).find((e) => e.kind === "verification");
    expect(verification?.data.result).toBe("passed");
    const beforeAfter = verification?.data as { before: { value: number }[]; after: { value: number }[] };
    expect(beforeAfter.before[0]?.value).toBe(1);
    expect(beforeAfter.after[0]?.value).toBe(0);
    for (let i = 0; i < 3; i++) await tickAt(99);
    const again = core.tickets.list().items[0];
    expect(again?.id).not.toBe(done.id);
    expect(again?.parent_id).toBe(done.id);
  });

  test("a fix that does not hold goes back to the agent, then fails after the allowed attempts", async () => {
    const { core, clock, monitor, push, finish } = setup();
    core.rules.createInvariant({ name: "Down", query: "up == 0", for: "0s", severity: "critical" });
    push({ __name__: "up", job: "svc" }, 0);
    await monitor.tick();
    const id = core.tickets.list().items[0]?.id as number;
    for (const expected of ["pending", "failed"] as const) {
      finish(id);
      clock.advance(601_000);
      push({ __name__: "up", job: "svc" }, 0);
      await monitor.tick();
      expect(core.tickets.get(id).status).toBe(expected);
    }
  });

  test("`for` runs per series: a series that started violating later waits its own time", async () => {
    const { core, clock, monitor, push } = setup();
    core.rules.createInvariant({ name: "Hot", query: "temp > 50", for: "2m", severity: "high" });
    const tickAt = async (a: number, b: number) => {
      push({ __name__: "temp", zone: "a" }, a);
      push({ __name__: "temp", zone: "b" }, b);
      await monitor.tick();
      clock.advance(60_000);
    };
    await tickAt(10, 90); // b violates from here
    await tickAt(90, 10); // b recovers, a starts: neither has lasted 2 m
    await tickAt(90, 90); // a 1 m, b starts again
    expect(core.tickets.list().total).toBe(0);
    await tickAt(90, 90); // a reaches 2 m; b only 1 m
    const [t] = core.tickets.list().items;
    const obs = core.observations.get(t?.observation_id as number);
    expect(obs.labels).toEqual({ __name__: "temp", zone: "a" });
    expect(obs.data).toMatchObject({ series_count: 2, firing_count: 1 });
  });

  test("flapping is damped: after six state changes recurrences stop opening tickets, one flapping ticket does", async () => {
    const { core, clock, monitor, push } = setup();
    core.rules.createInvariant({ name: "Edge", query: "load > 0.8", for: "0s", severity: "warning" });
    for (let i = 0; i < 8; i++) {
      push({ __name__: "load", host: "h" }, 0.9);
      await monitor.tick();
      // The agent "fixes" each one at once and the monitor verifies it on the next, clear, evaluation.
      // (The flapping ticket, once claimed, just stays with the agent.)
      const open = core.tickets.claimNext("agent", 600_000);
      if (open && !open.fingerprint?.endsWith(":flapping"))
        core.tickets.transition(open.id, "verifying", "agent", { leaseOwner: "agent", resolution: "x" });
      clock.advance(60_000);
      push({ __name__: "load", host: "h" }, 0.5);
      await monitor.tick();
      clock.advance(60_000);
    }
    const all = core.tickets.list({ limit: 100 }).items;
    const regular = all.filter((t) => t.fingerprint === "invariant:Edge");
    const flapping = all.filter((t) => t.fingerprint === "invariant:Edge:flapping");
    // Changes 1..5 open three tickets (one per firing); the 6th change starts the flap.
    expect(regular.length).toBe(3);
    expect(flapping.length).toBe(1);
    expect(flapping[0]?.title).toBe("Invariant Edge is flapping");
    expect(core.observations.get(flapping[0]?.observation_id as number).data).toMatchObject({
      flapping: true,
    });
    expect(monitor.states.get("invariant:Edge").flapping).toBe(1);
  });

  test("a rule that keeps failing opens one ticket about itself", async () => {
    const { core, clock, monitor } = setup();
    core.rules.createInvariant({ name: "Broken", query: "sum(", for: "0s" });
    for (let i = 0; i < 7; i++) {
      await monitor.tick();
      clock.advance(15_000);
    }
    const meta = core.tickets.list().items;
    expect(meta.length).toBe(1);
    expect(meta[0]?.title).toContain("invariant:Broken");
    expect(monitor.states.get("invariant:Broken").last_error).toMatch(/parse error/);
  });
});

describe("SLO burn-rate alerts", () => {
  async function loadTraffic(errorShare: number, perStep = 100, minRate = 0) {
    const s = setup();
    s.core.rules.createSlo({
      name: "availability",
      objective: 99.9,
      sli: { bad: 'requests_total{code="500"}', total: "requests_total" },
      min_rate: minRate,
    });
    // 2 hours of counters every 15 s.
    let ok = 0;
    let bad = 0;
    for (let i = 0; i < 480; i++) {
      ok += perStep * (1 - errorShare);
      bad += perStep * errorShare;
      s.push({ __name__: "requests_total", code: "200" }, ok);
      s.push({ __name__: "requests_total", code: "500" }, bad);
      s.clock.advance(15_000);
    }
    await s.monitor.tick();
    return s;
  }

  test("a fast burn opens one P1 ticket with recovery criteria", async () => {
    const { core, monitor } = await loadTraffic(0.05);
    const tickets = core.tickets.list().items;
    expect(tickets.length).toBe(1);
    expect(tickets[0]).toMatchObject({ source: "slo", priority: "P1" });
    expect(tickets[0]?.success_criteria.map((c) => c.comparator)).toEqual(["<", "<"]);
    await monitor.tick();
    expect(core.tickets.list().total).toBe(1);
  });

  test("no fault, no ticket (the control)", async () => {
    const { core } = await loadTraffic(0);
    expect(core.tickets.list().total).toBe(0);
  });

  test("low-traffic guard: a trickle of failures (1 request per 15 s, half failing) pages only without the guard", async () => {
    const unguarded = await loadTraffic(0.5, 1, 0);
    expect(unguarded.core.tickets.list().total).toBe(1);
    const guarded = await loadTraffic(0.5, 1, 1);
    expect(guarded.core.tickets.list().total).toBe(0);
    // The same guard lets a busy service's burn through: 100 requests per 15 s is 6.7 per second.
    const busy = await loadTraffic(0.05, 100, 1);
    expect(busy.core.tickets.list().items[0]).toMatchObject({ source: "slo", priority: "P1" });
  });
});

describe("schedules and anomalies", () => {
  test("a due schedule opens one ticket and moves to its next run", async () => {
    const { core, clock, monitor } = setup();
    const s = core.schedules.create({
      name: "hourly",
      cron: "0 * * * *",
      title: "Hourly check",
      objective: "Look",
    });
    expect(s.next_run_at).toBe(start + 3_600_000);
    await monitor.tick();
    expect(core.tickets.list().total).toBe(0);
    clock.advance(3_600_000);
    await monitor.tick();
    await monitor.tick();
    const t = core.tickets.list().items;
    expect(t.length).toBe(1);
    expect(t[0]).toMatchObject({ source: "schedule", source_ref: `schedule:${s.id}` });
    expect(core.schedules.get(s.id).next_run_at).toBe(start + 2 * 3_600_000);
  });

  test("a spike after a calm hour is an anomaly; the cooldown stops a second ticket", async () => {
    const { core, clock, monitor, push } = setup();
    core.anomalies.create({
      name: "Rate",
      query: "rate_gauge",
      method: "mad",
      sensitivity: 5,
      window: "1h",
      min_history: "30m",
      cooldown: "30m",
    });
    calmHour(push, clock);
    await monitor.tick();
    expect(core.tickets.list().total).toBe(0);
    clock.advance(60_000); // detectors run at most once a minute
    push({ __name__: "rate_gauge" }, 400);
    await monitor.tick();
    const [t] = core.tickets.list().items;
    expect(t).toMatchObject({ source: "anomaly", fingerprint: "anomaly:Rate" });
    core.tickets.transition(t?.id as number, "cancelled", "person");
    clock.advance(61_000); // past the once-a-minute throttle, inside the 30m cooldown
    push({ __name__: "rate_gauge" }, 420);
    await monitor.tick();
    expect(core.tickets.list().total).toBe(1);
  });

  test("a detector learns its usual level only from what it watched: an idle hour before it was created is not it", async () => {
    const run = async (createFirst: boolean) => {
      const { core, clock, monitor, push } = setup();
      const create = () =>
        core.anomalies.create({
          name: "Rate",
          query: "rate_gauge",
          method: "mad",
          sensitivity: 4,
          window: "1h",
          min_history: "5m",
        });
      if (createFirst) create();
      for (let i = 0; i < 240; i++) {
        push({ __name__: "rate_gauge" }, i % 3); // the service idle (or serving another workload)
        clock.advance(15_000);
      }
      if (!createFirst) create();
      // Ordinary traffic starts, and the detector is there to watch it.
      for (let i = 0; i < 28; i++) {
        push({ __name__: "rate_gauge" }, 100 + (i % 3));
        await monitor.tick();
        clock.advance(15_000);
      }
      return core.tickets.list().total;
    };
    // Created into the traffic: its history is the traffic, which is usual; no ticket.
    expect(await run(false)).toBe(0);
    // A detector that watched the idle hour does see the start of traffic as a change.
    expect(await run(true)).toBe(1);
  });

  test("an anomaly ticket asks for the value back in its usual range, and verifies once it holds there", async () => {
    const { core, clock, monitor, push, finish } = setup();
    core.anomalies.create({
      name: "Rate",
      query: "rate_gauge",
      window: "1h",
      min_history: "30m",
      sensitivity: 5,
    });
    calmHour(push, clock);
    push({ __name__: "rate_gauge" }, 400);
    await monitor.tick();
    const [t] = core.tickets.list().items;
    const [c] = t?.success_criteria ?? [];
    // median 102, MAD 1 × 1.4826: the usual range tops out at 102 + 5 × 1.4826
    expect(c).toMatchObject({ query: "rate_gauge", comparator: "<=", for_seconds: 180 });
    expect(c?.threshold).toBeCloseTo(102 + 5 * 1.4826, 3);
    expect(t?.context.criteria_before).toEqual([{ query: "rate_gauge", comparator: "<=", value: 400 }]);
    finish(t?.id as number);
    // Still high: verification waits; back in range for the whole 3 minutes: completed.
    push({ __name__: "rate_gauge" }, 390);
    await monitor.tick();
    expect(core.tickets.get(t?.id as number).status).toBe("verifying");
    for (let i = 0; i < 14; i++) {
      clock.advance(15_000);
      push({ __name__: "rate_gauge" }, 101);
      await monitor.tick();
    }
    const done = core.tickets.get(t?.id as number);
    expect(done.status).toBe("completed");
    const v = core.tickets.events(t?.id as number).findLast((e) => e.kind === "verification");
    expect(v?.data).toMatchObject({
      result: "passed",
      before: [{ value: 400 }],
      after: [{ value: 101, pass: true }],
    });
  });

  test("`for` holds the ticket back until the value has been anomalous that long; a dip resets it", async () => {
    const { core, clock, monitor, push } = setup();
    core.anomalies.create({
      name: "Denials",
      query: "deny_ratio",
      window: "10m",
      min_history: "5m",
      for: "30s",
      min_change: 0.05,
    });
    // No denials at all: a flat 0, which only min_change makes judgeable.
    for (let i = 0; i < 40; i++) {
      push({ __name__: "deny_ratio" }, 0);
      clock.advance(15_000);
    }
    const at = async (v: number) => {
      push({ __name__: "deny_ratio" }, v);
      await monitor.tick();
      clock.advance(15_000);
    };
    await at(0.03); // below the 0.05 floor: not anomalous
    expect(monitor.states.get("anomaly:Denials").pending_since).toBeNull();
    await at(0.5);
    await at(0.5);
    await at(0); // the dip resets the timer
    await at(0.5);
    await at(0.5);
    expect(core.tickets.list().total).toBe(0);
    await at(0.5); // anomalous for 30 s
    const [t] = core.tickets.list().items;
    expect(t).toMatchObject({ source: "anomaly", fingerprint: "anomaly:Denials" });
    expect(t?.success_criteria[0]).toMatchObject({ comparator: "<=", threshold: 0.05 });
  });

  test("a seasonal detector judges the trailing window until the store holds a day of history", async () => {
    const { core, clock, monitor, push } = setup();
    core.anomalies.create({ name: "Seasonal", query: "rate_gauge", method: "seasonal", min_history: "30m" });
    calmHour(push, clock);
    push({ __name__: "rate_gauge" }, 400);
    await monitor.tick();
    const [t] = core.tickets.list().items;
    expect(t?.objective).toMatch(/no day-old data yet: trailing window/);
    expect(t?.success_criteria[0]).toMatchObject({ comparator: "<=" });
  });
});

describe("baseline and partial fixes", () => {
  async function headroomEpisode(fixedRatio: number) {
    const { core, clock, store } = setup();
    const monitor = createMonitor({
      core,
      metrics: {
        kind: "embedded",
        instantQuery: async (e, t) => instantQuery(store, e, t),
        rangeQuery: async (e, s, en, st) => rangeQuery(store, e, s, en, st),
      },
      intervalMs: 15_000,
      verificationTimeoutMs: 600_000,
      maxAttempts: 2,
      log: () => {},
      revisionAt: (at) => (at < start + 40 * 60_000 ? "a".repeat(40) : "b".repeat(40)),
    });
    core.rules.createInvariant({
      name: "Headroom",
      query: 'max(ratio{job="rate-limiter"}) > 0.8',
      for: "2m",
      severity: "warning",
    });
    const step = async (ratio: number, hash: string) => {
      store.append([
        { labels: { __name__: "ratio", job: "rate-limiter" }, t: clock.now(), v: ratio },
        { labels: { __name__: "ratelimiter_config_info", job: "rate-limiter", hash }, t: clock.now(), v: 1 },
      ]);
      await monitor.tick();
      clock.advance(15_000);
    };
    // Forty calm minutes on the good config, then the store fills up on a shrunk one.
    for (let i = 0; i < 160; i++) await step(0.0005, "good");
    for (let i = 0; i < 12; i++) await step(0.95, "shrunk");
    const t = core.tickets.list().items[0];
    if (!t) throw new Error("no ticket opened");
    const b = t.context.baseline as {
      signals: { query: string; value: number }[];
      config_hashes: string[];
      commit: string;
    };
    expect(b.signals.map((s) => [s.query, s.value])).toEqual([['max(ratio{job="rate-limiter"})', 0.0005]]);
    expect(b.config_hashes).toEqual(["good"]);
    expect(b.commit).toBe("a".repeat(40));
    // The agent claims a fix; the monitor verifies it over the rule's `for`.
    core.tickets.claimNext("agent", 60_000);
    core.tickets.transition(t.id, "verifying", "agent", { leaseOwner: "agent", resolution: "fixed" });
    for (let i = 0; i < 12; i++) await step(fixedRatio, "raised");
    const done = core.tickets.get(t.id);
    const ev = core.tickets.events(t.id).findLast((e) => e.kind === "verification");
    return { done, ev };
  }

  test("a fix that clears the alert but leaves the store 75 % full where it was nearly empty is partial", async () => {
    const { done, ev } = await headroomEpisode(0.75);
    expect(done.status).toBe("completed");
    expect(ev?.data.partial).toBe(true);
    expect(done.resolution).toContain("worse than before the fault");
    expect(done.resolution).toContain("0.75 against a baseline of 0.0005");
  });

  test("a fix that brings the store back near its baseline is a full fix", async () => {
    const { done, ev } = await headroomEpisode(0.0006);
    expect(done.status).toBe("completed");
    expect(ev?.data.partial).toBe(false);
    expect(done.resolution).toBe("verified: success criteria hold");
  });
});
