import { describe, expect, test } from "bun:test";
import { queryLogs } from "../../telemetry/logs/logql-eval";
import { LogStore } from "../../telemetry/logs/store";
import { ticketFixture } from "../../testing/ticket";
import type { Ticket } from "../../tickets/model";
import type { ContentBlock, Message, ToolUseBlock } from "../types";
import { RunbookBrain } from "./runbook";
import { denialAttribution, denialLogQuery } from "./runbooks/anomaly";
import { raisedKeyCapacity } from "./runbooks/key-headroom";
import { raisedStoreTimeout } from "./runbooks/store-errors";

/** The rule in a ticket's context, as the monitor writes it: what the brain chooses its runbook by. */
const rule = (kind: string, name: string) => ({ rule: { kind, name } });

function ticket(over: Partial<Ticket> = {}): Ticket {
  return ticketFixture({
    title: "Invariant RateLimiterDown violated",
    success_criteria: [{ query: 'up{job="rate-limiter"} == 0', comparator: "empty", for_seconds: 0 }],
    context: rule("invariant", "RateLimiterDown"),
    source: "invariant",
    priority: "P1",
    ...over,
  });
}

const brain = new RunbookBrain();
const ask = async (t: Ticket, messages: Message[]) =>
  (await brain.reply({ system: "", tools: [], messages, ticket: t })).content;
const calls = (content: ContentBlock[]) => content.filter((b): b is ToolUseBlock => b.type === "tool_use");

/** Answers every tool call of a turn with the given outputs, as the worker would. */
function answer(content: ContentBlock[], outputs: Record<string, unknown>): Message[] {
  return [
    { role: "assistant", content },
    {
      role: "user",
      content: calls(content).map((c) => ({
        type: "tool_result" as const,
        tool_use_id: c.id,
        content: JSON.stringify(outputs[c.name] ?? "ok"),
      })),
    },
  ];
}

const down = { resultType: "vector", result: [{ labels: { job: "rate-limiter" }, t: 0, v: 0 }] };
const healthy = { resultType: "vector", result: [] };

describe("runbook brain", () => {
  test("investigates, restarts a down service, then finishes", async () => {
    const t = ticket();
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const turn1 = await ask(t, first);
    expect(calls(turn1).map((c) => c.name)).toEqual(["query_metrics", "service_status"]);
    const afterInvestigation = [...first, ...answer(turn1, { query_metrics: down })];
    const turn2 = await ask(t, afterInvestigation);
    expect(calls(turn2).map((c) => c.name)).toEqual(["restart_service"]);
    const turn3 = await ask(t, [...afterInvestigation, ...answer(turn2, {})]);
    expect(calls(turn3).map((c) => c.name)).toEqual(["finish"]);
  });

  test("finishes at once when the criteria already hold", async () => {
    const t = ticket();
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const turn1 = await ask(t, first);
    const turn2 = await ask(t, [...first, ...answer(turn1, { query_metrics: healthy })]);
    expect(calls(turn2)[0]?.name).toBe("finish");
    expect(String(calls(turn2)[0]?.input.summary)).toContain("already hold");
  });

  test("without a runbook it notes findings, asks a person, and gives up after a denial", async () => {
    const t = ticket({
      title: "Denials too high",
      context: rule("invariant", "DenialsTooHigh"),
      success_criteria: [{ query: "denial_ratio", comparator: "<", threshold: 0.1, for_seconds: 0 }],
    });
    const high = { resultType: "vector", result: [{ labels: {}, t: 0, v: 0.4 }] };
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const turn1 = await ask(t, first);
    const m1 = [...first, ...answer(turn1, { query_metrics: high })];
    const turn2 = await ask(t, m1);
    expect(calls(turn2).map((c) => c.name)).toEqual(["add_note", "request_approval"]);
    expect(String(calls(turn2)[0]?.input.text)).toContain("value 0.4 (violated)");
    const denied = answer(turn2, { add_note: "note added", request_approval: { decision: "denied" } });
    const turn3 = await ask(t, [...m1, ...denied]);
    expect(calls(turn3).map((c) => c.name)).toEqual(["give_up"]);
  });

  test("is deterministic: the same conversation gives the same reply", async () => {
    const t = ticket();
    const m: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    expect(await ask(t, m)).toEqual(await ask(t, m));
  });
});

const headroomTicket = () =>
  ticket({
    title: "Invariant RateLimiterKeyHeadroomLow violated",
    context: rule("invariant", "RateLimiterKeyHeadroomLow"),
    success_criteria: [
      {
        query: "max by (instance) (ratelimiter_key_capacity_used_ratio) > 0.8",
        comparator: "empty",
        for_seconds: 0,
      },
    ],
  });

describe("runbook: key headroom", () => {
  test("reads the config and raises max_keys by half within the ceiling", async () => {
    const t = headroomTicket();
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const turn1 = await ask(t, first);
    const full = { resultType: "vector", result: [{ labels: {}, t: 0, v: 0.93 }] };
    const m1 = [...first, ...answer(turn1, { query_metrics: full })];
    const turn2 = await ask(t, m1);
    expect(calls(turn2).map((c) => c.name)).toEqual(["get_config"]);
    const m2 = [
      ...m1,
      ...answer(turn2, {
        get_config: {
          content: "store:\n  max_keys: 1000\ndefault: { name: d, capacity: 5, refill_per_second: 1 }\n",
        },
      }),
    ];
    const turn3 = await ask(t, m2);
    expect(calls(turn3)[0]?.name).toBe("update_config");
    const content = String(calls(turn3)[0]?.input.content);
    expect(Bun.YAML.parse(content)).toMatchObject({ store: { max_keys: 1500 }, default: { capacity: 5 } });
    const turn4 = await ask(t, [...m2, ...answer(turn3, { update_config: { applied: true } })]);
    expect(calls(turn4)[0]?.name).toBe("finish");
  });

  test.each([
    [
      "an out-of-band shrink is undone: the committed limits come back, not a raise of the bad value",
      {
        content: "store:\n  max_keys: 40\n",
        committed: "store:\n  max_keys: 100000\n",
        uncommitted_change: true,
      },
      100_000,
      "Restored the last known good limits (the committed limits",
    ],
    [
      "a shrink already committed by a ticket: the limits of the last known good revision come back",
      {
        content: "store:\n  max_keys: 60\n",
        committed: "store:\n  max_keys: 60\n",
        uncommitted_change: false,
        last_known_good: { commit: "a".repeat(40), content: "store:\n  max_keys: 100000\n" },
      },
      100_000,
      `Restored the last known good limits (the limits of ${"a".repeat(12)}`,
    ],
    [
      "a known good file that held fewer keys is no fix: raise by half instead",
      {
        content: "store:\n  max_keys: 1000\n",
        committed: "store:\n  max_keys: 1000\n",
        uncommitted_change: false,
        last_known_good: { commit: "b".repeat(40), content: "store:\n  max_keys: 500\n" },
      },
      1500,
      "Raised the store's key capacity",
    ],
  ])("%s", async (_name, config, maxKeys, summary) => {
    const t = headroomTicket();
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const full = { resultType: "vector", result: [{ labels: {}, t: 0, v: 0.93 }] };
    const m1 = [...first, ...answer(await ask(t, first), { query_metrics: full })];
    const m2 = [...m1, ...answer(await ask(t, m1), { get_config: config })];
    const turn3 = await ask(t, m2);
    expect(calls(turn3)[0]?.name).toBe("update_config");
    expect(Bun.YAML.parse(String(calls(turn3)[0]?.input.content))).toMatchObject({
      store: { max_keys: maxKeys },
    });
    const turn4 = await ask(t, [...m2, ...answer(turn3, { update_config: { applied: true } })]);
    const done = calls(turn4)[0];
    expect(done?.name).toBe("finish");
    expect(String(done?.input.summary ?? JSON.stringify(done?.input))).toContain(summary);
  });

  test("never raises past the ceiling", () => {
    expect(raisedKeyCapacity("store: { max_keys: 1000000 }\n")).toBeNull();
    expect(raisedKeyCapacity("store: { max_keys: 900000 }\n")?.to).toBe(1_000_000);
  });
});

describe("runbook: error-budget burn", () => {
  const slo = ticket({
    source: "slo",
    title: "SLO availability is burning its error budget",
    context: rule("slo", "availability"),
    success_criteria: [{ query: "burn_5m", comparator: "<", threshold: 1, for_seconds: 600 }],
  });
  const burning = { resultType: "vector", result: [{ labels: {}, t: 0, v: 20 }] };

  test("rolls back a deploy that preceded the burn", async () => {
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const m1 = [...first, ...answer(await ask(slo, first), { query_metrics: burning })];
    const turn2 = await ask(slo, m1);
    expect(calls(turn2).map((c) => c.name)).toEqual(["list_deploys"]);
    const m2 = [...m1, ...answer(turn2, { list_deploys: [{ kind: "deploy", at: "2026-01-01T00:00:00Z" }] })];
    const turn3 = await ask(slo, m2);
    expect(calls(turn3).map((c) => c.name)).toEqual(["rollback"]);
    const turn4 = await ask(slo, [...m2, ...answer(turn3, { rollback: { ok: true } })]);
    expect(calls(turn4).map((c) => c.name)).toEqual(["finish"]);
  });

  test("without a recent deploy it asks a person", async () => {
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const m1 = [...first, ...answer(await ask(slo, first), { query_metrics: burning })];
    const turn2 = await ask(slo, m1);
    const turn3 = await ask(slo, [
      ...m1,
      ...answer(turn2, { list_deploys: [{ kind: "config_change", at: "x" }] }),
    ]);
    expect(calls(turn3).map((c) => c.name)).toEqual(["add_note", "request_approval"]);
  });
});

describe("runbook: crash loop after an out-of-band config edit", () => {
  test("restores the committed limits, restarts, and finishes", async () => {
    const t = ticket({
      title: "Instance rate-limiter-0 is crash-looping",
      context: rule("invariant", "ServiceCrashLoop"),
      success_criteria: [
        { query: 'up{instance="rate-limiter-0"} == 1', comparator: "nonempty", for_seconds: 60 },
      ],
    });
    // Never scraped while it crash-loops: no `up` at all, which the criterion counts as violated.
    const down = { resultType: "vector", result: [] };
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const m1 = [...first, ...answer(await ask(t, first), { query_metrics: down })];
    const turn2 = await ask(t, m1);
    expect(calls(turn2).map((c) => c.name)).toEqual(["get_config"]);
    const committed = "default: { name: d, capacity: 5, refill_per_second: 1 }\n";
    const m2 = [
      ...m1,
      ...answer(turn2, {
        get_config: { content: "default: { capacity: -1 }\n", committed, uncommitted_change: true },
      }),
    ];
    const turn3 = await ask(t, m2);
    expect(calls(turn3)[0]?.name).toBe("update_config");
    expect(calls(turn3)[0]?.input.content).toBe(committed);
    const m3 = [...m2, ...answer(turn3, { update_config: { applied: true } })];
    const turn4 = await ask(t, m3);
    expect(calls(turn4).map((c) => c.name)).toEqual(["restart_service"]);
    const turn5 = await ask(t, [...m3, ...answer(turn4, {})]);
    expect(calls(turn5).map((c) => c.name)).toEqual(["finish"]);
  });
});

describe("runbook: config drift and store errors", () => {
  const violated = { resultType: "vector", result: [{ labels: {}, t: 0, v: 2 }] };
  const start: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];

  test("drift: restores an out-of-band edit, restarts every instance, and finishes", async () => {
    const t = ticket({
      title: "Invariant RateLimiterConfigDrift violated",
      context: rule("invariant", "RateLimiterConfigDrift"),
      success_criteria: [
        {
          query: "count(count by (hash) (ratelimiter_config_info)) > 1",
          comparator: "empty",
          for_seconds: 0,
        },
      ],
    });
    const m1 = [...start, ...answer(await ask(t, start), { query_metrics: violated })];
    const turn2 = await ask(t, m1);
    expect(calls(turn2).map((c) => c.name)).toEqual(["get_config"]);
    const committed = "default: { name: d, capacity: 5, refill_per_second: 1 }\n";
    const m2 = [
      ...m1,
      ...answer(turn2, { get_config: { content: "x: 1\n", committed, uncommitted_change: true } }),
    ];
    const turn3 = await ask(t, m2);
    expect(calls(turn3)).toMatchObject([{ name: "update_config", input: { content: committed } }]);
    const m3 = [...m2, ...answer(turn3, { update_config: { applied: true } })];
    const turn4 = await ask(t, m3);
    expect(calls(turn4).map((c) => c.name)).toEqual(["restart_service"]);
    expect(calls(await ask(t, [...m3, ...answer(turn4, {})])).map((c) => c.name)).toEqual(["finish"]);
  });

  test("store errors: doubles the store's timeout and finishes", async () => {
    const t = ticket({
      title: "Invariant RateLimiterStoreErrors violated",
      context: rule("invariant", "RateLimiterStoreErrors"),
      success_criteria: [
        { query: "sum(rate(ratelimiter_store_errors_total[1m])) > 0", comparator: "empty", for_seconds: 0 },
      ],
    });
    const m1 = [...start, ...answer(await ask(t, start), { query_metrics: violated })];
    const turn2 = await ask(t, m1);
    expect(calls(turn2).map((c) => c.name)).toEqual(["get_config"]);
    const m2 = [
      ...m1,
      ...answer(turn2, { get_config: { content: "store: { type: redis, timeout_ms: 20 }\n" } }),
    ];
    const turn3 = await ask(t, m2);
    expect(calls(turn3)[0]?.name).toBe("update_config");
    expect(Bun.YAML.parse(String(calls(turn3)[0]?.input.content))).toMatchObject({
      store: { timeout_ms: 40 },
    });
    const turn4 = await ask(t, [...m2, ...answer(turn3, { update_config: { applied: true } })]);
    expect(calls(turn4)).toMatchObject([
      { name: "finish", input: { summary: expect.stringMatching(/timeout/) } },
    ]);
  });
});

test.each([
  ["store: { type: redis, timeout_ms: 20 }\n", 40],
  ["store: { type: redis }\n", 40],
  ["store: { type: redis, timeout_ms: 200 }\n", 250],
  ["store: { type: redis, timeout_ms: 250 }\n", null],
])("raisedStoreTimeout(%p) → %p, keeping the rest of the file", (yaml, to) => {
  const r = raisedStoreTimeout(yaml);
  expect(r?.to ?? null).toBe(to);
  if (r) expect(Bun.YAML.parse(r.content)).toMatchObject({ store: { type: "redis", timeout_ms: to } });
});

describe("runbook brain on anomaly tickets", () => {
  const denialQuery =
    '(sum(rate(ratelimiter_requests_total{decision="denied"}[5m])) or vector(0)) / sum(rate(ratelimiter_requests_total[5m]))';
  const anomaly = (query: string) =>
    ticket({
      title: "Anomaly DenialRatioAnomaly: share of denied checks",
      source: "anomaly",
      context: rule("anomaly", "DenialRatioAnomaly"),
      priority: "P3",
      success_criteria: [{ query, comparator: "<=", threshold: 0.05, for_seconds: 30 }],
    });
  const high = { resultType: "vector", result: [{ labels: {}, t: 0, v: 0.6 }] };
  // Lines as the rate limiter writes them, through the real log store and LogQL engine.
  function denialLines(keys: string[]) {
    const store = new LogStore(":memory:");
    const labels = { service: "rate-limiter", instance: "rl-0", stream: "stdout" };
    store.append([
      { labels, t: 1_000, line: JSON.stringify({ level: "info", msg: "listening", port: 1 }) },
      ...keys.map((key, i) => ({
        labels,
        t: 2_000 + i,
        line: JSON.stringify({ level: "info", msg: "denied", request_id: `r${i}`, policy: "default", key }),
      })),
      { labels, t: 9_000, line: JSON.stringify({ level: "info", msg: "config loaded", note: "denied" }) },
    ]);
    const r = queryLogs(store, denialLogQuery, {
      startMs: 0,
      endMs: 10_000,
      limit: 100,
      direction: "backward",
    });
    return r.result.flatMap((x) => x.entries.map((e) => ({ line: e.line })));
  }

  test("reads the denial samples, then explains the jump without changing anything", async () => {
    const t = anomaly(denialQuery);
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const turn1 = await ask(t, first);
    const m1 = [...first, ...answer(turn1, { query_metrics: high })];
    const turn2 = await ask(t, m1);
    expect(calls(turn2)).toMatchObject([
      { name: "query_logs", input: { query: denialLogQuery, since: "5m", limit: 30 } },
    ]);
    const lines = denialLines([...Array(14).fill("default|key=abuser"), "default|key=a", "default|key=b"]);
    expect(lines.length).toBe(16); // only the denial lines, not the one that merely mentions the word
    const turn3 = await ask(t, [...m1, ...answer(turn2, { query_logs: lines })]);
    expect(calls(turn3).map((c) => c.name)).toEqual(["finish"]);
    expect(String(calls(turn3)[0]?.input.summary)).toMatch(
      /^Noisy neighbour: key default\|key=abuser has 14 of 16 sampled denials .*\(88%\)/,
    );
  });

  test("attribution: spread denials, too few samples, and a rate anomaly", () => {
    const spread = denialLines(Array.from({ length: 12 }, (_, i) => `default|key=k${i % 4}`));
    expect(denialAttribution(anomaly(denialQuery), spread)).toMatch(/^Denials are spread over 4 keys/);
    expect(denialAttribution(anomaly(denialQuery), denialLines(["default|key=x"]))).toMatch(
      /^Too few denials sampled \(1\)/,
    );
    expect(denialAttribution(anomaly(denialQuery), [{ line: "not json" }])).toMatch(
      /^Too few denials sampled \(0\)/,
    );
    expect(denialAttribution(anomaly("sum(rate(ratelimiter_requests_total[15s]))"), [])).toMatch(
      /^A change in demand, not a fault/,
    );
  });
});

test("a truncated or failed log answer is read as no samples, not a crash", async () => {
  const t = ticketFixture({
    title: "Anomaly DenialRatioAnomaly",
    source: "anomaly",
    context: rule("anomaly", "DenialRatioAnomaly"),
    success_criteria: [{ query: 'x{decision="denied"}', comparator: "<=", threshold: 0.05, for_seconds: 30 }],
  });
  const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
  const turn1 = await ask(t, first);
  const m1 = [
    ...first,
    ...answer(turn1, { query_metrics: { resultType: "vector", result: [{ labels: {}, t: 0, v: 1 }] } }),
  ];
  const turn2 = await ask(t, m1);
  const truncated: Message[] = [
    { role: "assistant", content: turn2 },
    {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: calls(turn2)[0]?.id ?? "",
          content: '[{"line":"{\\"key\\n[truncated 99 characters',
        },
      ],
    },
  ];
  const turn3 = await ask(t, [...m1, ...truncated]);
  expect(calls(turn3)[0]?.input.summary).toMatch(/^Too few denials sampled \(0\)/);
});
