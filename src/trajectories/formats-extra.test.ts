import { describe, expect, test } from "bun:test";
import schema from "../../docs/trajectory.schema.json";
import { workedTickets } from "../testing/agent";
import { type AtifTrajectory, toAtif } from "./atif";
import { buildTrajectory } from "./build";
import { trajectoryContext } from "./context";
import { exportLines, trajectories } from "./export";
import { syntheticContext, syntheticEpisode } from "./fixtures";
import { formatNames } from "./formats";
import { datasetCard, type HfRow } from "./hf";
import { type OtlpSpan, type OtlpTraces, toOtel } from "./otel";
import type { TrajectoryRecord } from "./record";

async function workedCore(n = 1) {
  return (await workedTickets(n)).core;
}

async function exported(format: (typeof formatNames)[number], n = 1): Promise<unknown[]> {
  const core = await workedCore(n);
  return [...exportLines(core, trajectoryContext(), format, {})].map((l) => JSON.parse(l));
}

async function nativeRecord(): Promise<TrajectoryRecord> {
  const [rec] = [...trajectories(await workedCore(), trajectoryContext())];
  if (!rec) throw new Error("no episode recorded");
  return rec;
}

describe("format registry", () => {
  test("the new formats are exportable by name", () => {
    expect(formatNames).toEqual(expect.arrayContaining(["atif", "otel", "hf"]));
  });
});

describe("otel (OTLP/JSON)", () => {
  const TYPED = [
    "stringValue",
    "intValue",
    "doubleValue",
    "boolValue",
    "arrayValue",
    "kvlistValue",
    "bytesValue",
  ];
  const spansOf = (t: OtlpTraces): OtlpSpan[] =>
    t.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  const attrOf = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;

  test("ids, parentage, times and attribute values follow OTLP/JSON", async () => {
    const [trace] = (await exported("otel")) as OtlpTraces[];
    if (!trace) throw new Error("no trace");
    const spans = spansOf(trace);
    const roots = spans.filter((s) => s.parentSpanId === undefined);
    expect(roots.length).toBe(1);
    const root = roots[0] as OtlpSpan;
    expect(attrOf(root, "gen_ai.operation.name")).toEqual({ stringValue: "invoke_agent" });
    expect(attrOf(root, "gen_ai.agent.name")).toEqual({ stringValue: "runbook" });
    expect(root.status.code).toBe(1);

    const ids = new Set<string>();
    for (const s of spans) {
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.traceId).toBe(root.traceId);
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      ids.add(s.spanId);
      expect(typeof s.startTimeUnixNano).toBe("string");
      expect(BigInt(s.startTimeUnixNano) <= BigInt(s.endTimeUnixNano)).toBe(true);
      expect([0, 1, 2, 3, 4, 5]).toContain(s.kind);
      for (const a of s.attributes) {
        const keys = Object.keys(a.value);
        expect(keys.length).toBe(1);
        expect(TYPED).toContain(keys[0] as string);
        // intValue travels as a decimal string, per the OTLP/JSON mapping of int64.
        if ("intValue" in a.value) expect(a.value.intValue).toMatch(/^-?\d+$/);
      }
    }
    expect(ids.size).toBe(spans.length);

    const children = spans.filter((s) => s !== root);
    for (const c of children) {
      expect(c.parentSpanId).toBe(root.spanId);
      expect(BigInt(c.startTimeUnixNano) >= BigInt(root.startTimeUnixNano)).toBe(true);
      expect(BigInt(c.endTimeUnixNano) <= BigInt(root.endTimeUnixNano)).toBe(true);
    }
    const op = (s: OtlpSpan) => (attrOf(s, "gen_ai.operation.name") as { stringValue?: string })?.stringValue;
    const tools = children.filter((s) => op(s) === "execute_tool");
    // The runbook's turns are no model calls: spans of ours, without GenAI model or token attributes.
    const turns = children.filter((s) => s.name === "step runbook");
    expect(turns.length + tools.length).toBe(children.length);
    expect(turns.length).toBe(2);
    for (const c of turns) {
      expect(op(c)).toBeUndefined();
      expect(attrOf(c, "harness.step.llm_call_count")).toEqual({ intValue: "0" });
      expect(c.attributes.filter((a) => a.key.startsWith("gen_ai."))).toEqual([]);
    }
    expect(attrOf(root, "harness.reward")).toHaveProperty("doubleValue");
    expect(attrOf(root, "harness.reward.class")).toEqual({ stringValue: "verified_no_change" });
    expect(attrOf(root, "harness.reward.verified")).toEqual({ boolValue: true });
    expect(tools.map((s) => attrOf(s, "gen_ai.tool.name"))).toEqual([
      { stringValue: "query_metrics" },
      { stringValue: "service_status" },
      { stringValue: "finish" },
    ]);
    expect(tools.every((s) => attrOf(s, "gen_ai.tool.call.id") !== undefined)).toBe(true);
  });

  test("is deterministic and marks failed tools and outcomes as errors", async () => {
    const rec = await nativeRecord();
    expect(toOtel(rec)).toEqual(toOtel(rec));
    const step = rec.steps[0];
    const call = step?.tool_calls[0];
    if (!step || !call) throw new Error("expected a tool call");
    const failed: TrajectoryRecord = {
      ...rec,
      outcome: "failed",
      steps: [{ ...step, tool_calls: [{ ...call, is_error: true, output: "boom" }] }, ...rec.steps.slice(1)],
    };
    const spans = spansOf(toOtel(failed));
    expect(spans[0]?.status).toEqual({ code: 2, message: "failed" });
    const tool = spans.find(
      (s) => JSON.stringify(attrOf(s, "gen_ai.tool.call.id")) === JSON.stringify({ stringValue: call.id }),
    );
    expect(tool?.status).toEqual({ code: 2, message: "boom" });
  });
});

describe("atif", () => {
  test("required fields, sequential step ids, observations reference their calls", async () => {
    const [traj] = (await exported("atif")) as AtifTrajectory[];
    if (!traj) throw new Error("no trajectory");
    expect(traj.schema_version).toMatch(/^ATIF-v1\.\d+$/);
    expect(traj.session_id).toBe("t1-a1");
    expect(typeof traj.agent.name).toBe("string");
    expect(typeof traj.agent.version).toBe("string");
    expect(traj.steps.map((s) => s.step_id)).toEqual(traj.steps.map((_, i) => i + 1));
    for (const s of traj.steps) {
      expect(["system", "user", "agent"]).toContain(s.source);
      expect(typeof s.message).toBe("string");
      if (s.timestamp !== undefined) expect(new Date(s.timestamp).toISOString()).toBe(s.timestamp);
      const callIds = (s.tool_calls ?? []).map((c) => c.tool_call_id);
      const observed = (s.observation?.results ?? []).map((o) => o.source_call_id);
      // Every call has one observation and every observation answers a call of the same step.
      expect(observed).toEqual(callIds);
      for (const c of s.tool_calls ?? []) {
        expect(typeof c.function_name).toBe("string");
        expect(typeof c.arguments).toBe("object");
      }
      if (s.source !== "agent") expect(s.tool_calls).toBeUndefined();
    }
    expect(traj.steps[0]?.source).toBe("system");
    const agentSteps = traj.steps.filter((s) => s.source === "agent");
    expect(agentSteps.flatMap((s) => s.tool_calls ?? []).map((c) => c.function_name)).toEqual([
      "query_metrics",
      "service_status",
      "finish",
    ]);
    expect(traj.final_metrics?.total_steps).toBe(traj.steps.length);
    // Runbook turns: marked as no model call, with no model name and no (zero) token metrics.
    for (const s of agentSteps) {
      expect(s.llm_call_count).toBe(0);
      expect(s.metrics).toBeUndefined();
      expect(s.model_name).toBeUndefined();
    }
    expect(traj.agent.model_name).toBeUndefined();
    expect(traj.final_metrics?.total_prompt_tokens).toBeUndefined();
    expect(traj.extra).toMatchObject({
      ticket_id: 1,
      outcome: "completed",
      verification: { result: "passed" },
    });
    expect(traj.extra?.reward).toMatchObject({ version: "harness.reward/v2", class: "verified_no_change" });
  });

  test("prompt tokens include cache reads and final metrics sum the steps", async () => {
    const rec = await nativeRecord();
    // As if a model had taken the runbook's turns.
    const withCache: TrajectoryRecord = {
      ...rec,
      steps: rec.steps.map((s) => ({
        ...s,
        llm_call_count: 1 as const,
        usage: {
          input_tokens: 10,
          output_tokens: 5,
          cache_read_input_tokens: 100,
          cache_creation_input_tokens: 1,
        },
      })),
      totals: { ...rec.totals, input_tokens: 10 * rec.steps.length, output_tokens: 5 * rec.steps.length },
    };
    const t = toAtif(withCache);
    const agent = t.steps.filter((s) => s.source === "agent");
    expect(agent[0]?.metrics).toMatchObject({ prompt_tokens: 111, completion_tokens: 5, cached_tokens: 100 });
    const sum = (f: (s: (typeof agent)[number]) => number) => agent.reduce((n, s) => n + f(s), 0);
    expect(agent.every((s) => s.llm_call_count === 1)).toBe(true);
    expect(t.final_metrics?.total_prompt_tokens).toBe(sum((s) => s.metrics?.prompt_tokens ?? 0));
    expect(t.final_metrics?.total_cached_tokens).toBe(sum((s) => s.metrics?.cached_tokens ?? 0));
    expect(t.final_metrics?.total_completion_tokens).toBe(sum((s) => s.metrics?.completion_tokens ?? 0));
  });
});

describe("hf", () => {
  const typeOf = (v: unknown): string =>
    Array.isArray(v)
      ? `list<${v.length ? typeOf(v[0]) : "?"}>`
      : v === null
        ? "null"
        : typeof v === "object"
          ? `{${Object.entries(v as object)
              .map(([k, x]) => `${k}:${typeOf(x)}`)
              .join(",")}}`
          : typeof v;

  test("float64 columns are written as floats even when whole (the Hub infers int64 from 0)", async () => {
    const core = await workedCore(1);
    const [line] = [...exportLines(core, trajectoryContext(), "hf", {})];
    // The runbook costs nothing: cost_usd is 0, and must read as a float.
    expect(line).toMatch(/"cost_usd":0\.0[,}]/);
    expect(line).toMatch(/"reward":-?\d+\.\d+[,}]/);
    expect(line).not.toMatch(/"(cost_usd|reward)":-?\d+[,}]/);
    expect(JSON.parse(line as string).cost_usd).toBe(0);
  });

  test("rows share keys and types, and hold no nulls", async () => {
    const rows = (await exported("hf", 2)) as HfRow[];
    expect(rows.length).toBe(2);
    const [a, b] = rows as [HfRow, HfRow];
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const k of Object.keys(a) as (keyof HfRow)[]) {
      if (k === "steps") continue;
      expect(`${k}:${typeOf(a[k])}`).toBe(`${k}:${typeOf(b[k])}`);
      expect(a[k]).not.toBeNull();
    }
    // Nested struct types must agree too, element by element, or Arrow inference fails.
    const stepTypes = new Set(rows.flatMap((r) => r.steps.map((s) => typeOf(s))));
    expect(stepTypes.size).toBe(1);
    expect(new Date(a.started_at).toISOString()).toBe(a.started_at);
    expect(a.ticket_id).not.toBe(b.ticket_id);
    const messages = JSON.parse(a.messages_json) as { role: string }[];
    expect(messages[0]?.role).toBe("user");
    expect(a.steps.flatMap((s) => s.tool_calls.map((c) => typeof JSON.parse(c.input_json)))).toEqual([
      "object",
      "object",
      "object",
    ]);
  });

  test("dataset card front matter parses as YAML with the Hub's keys", async () => {
    const rows = (await exported("hf", 2)) as HfRow[];
    const card = datasetCard(rows);
    const m = /^---\n([\s\S]*?)\n---\n/.exec(card);
    expect(m).not.toBeNull();
    const front = Bun.YAML.parse(m?.[1] ?? "") as {
      license: string;
      task_categories: string[];
      size_categories: string[];
      configs: { config_name: string; data_files: { split: string; path: string }[] }[];
    };
    expect(front.license).toBe("other");
    expect(front.task_categories).toEqual(["text-generation"]);
    expect(front.size_categories).toEqual(["n<1K"]);
    expect(front.configs[0]?.data_files[0]).toEqual({ split: "train", path: "data/train.jsonl" });
    expect(card).toContain("| completed | 2 |");
    expect(card).toContain("| runbook | 2 |");
    for (const k of Object.keys(rows[0] as HfRow)) expect(card).toContain(`\`${k}\``);
  });
});

type Schema = {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  const?: unknown;
  enum?: unknown[];
  additionalProperties?: boolean;
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
};

/**
 * A deliberately tiny JSON Schema check (type, required, properties, items, $ref, const, enum, oneOf, minimum,
 * maximum): no new packages.
 */
function check(s: Schema, v: unknown, path: string, root: { $defs: Record<string, Schema> }): string[] {
  if (s.$ref) {
    const def = root.$defs[s.$ref.replace("#/$defs/", "")];
    return def ? check(def, v, path, root) : [`${path}: unresolved ${s.$ref}`];
  }
  if (s.oneOf) {
    const matching = s.oneOf.filter((o) => check(o, v, path, root).length === 0).length;
    if (matching !== 1) return [`${path}: matches ${matching} of oneOf, not exactly 1`];
  }
  const errs: string[] = [];
  const actual =
    v === null
      ? "null"
      : Array.isArray(v)
        ? "array"
        : typeof v === "number" && Number.isInteger(v)
          ? "integer"
          : typeof v;
  const allowed = s.type === undefined ? undefined : Array.isArray(s.type) ? s.type : [s.type];
  // JSON Schema: every integer is also a number.
  if (allowed && !allowed.includes(actual) && !(actual === "integer" && allowed.includes("number")))
    return [`${path}: expected ${allowed.join("|")}, got ${actual}`];
  if (s.const !== undefined && v !== s.const) errs.push(`${path}: expected const ${String(s.const)}`);
  if (s.enum && !s.enum.includes(v)) errs.push(`${path}: ${String(v)} not in enum`);
  if (typeof v === "number" && s.minimum !== undefined && v < s.minimum)
    errs.push(`${path}: below ${s.minimum}`);
  if (typeof v === "number" && s.maximum !== undefined && v > s.maximum)
    errs.push(`${path}: above ${s.maximum}`);
  if (actual === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    for (const k of s.required ?? []) if (!(k in o)) errs.push(`${path}.${k}: required`);
    for (const [k, sub] of Object.entries(s.properties ?? {}))
      if (k in o) errs.push(...check(sub, o[k], `${path}.${k}`, root));
    if (s.additionalProperties === false)
      for (const k of Object.keys(o))
        if (!(k in (s.properties ?? {}))) errs.push(`${path}.${k}: not in schema`);
  }
  if (actual === "array" && s.items)
    for (const [i, x] of (v as unknown[]).entries()) errs.push(...check(s.items, x, `${path}[${i}]`, root));
  return errs;
}

describe("docs/trajectory.schema.json", () => {
  const root = schema as unknown as Schema & { $id: string; $schema: string; $defs: Record<string, Schema> };

  test("is draft 2020-12 with the record's schema id", () => {
    expect(root.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(root.$id).toContain("harness.trajectory/v2");
  });

  test("a real native record validates", async () => {
    const rec = await nativeRecord();
    expect(check(root, rec, "$", root)).toEqual([]);
    // The checker itself must catch a missing required key and a wrong type.
    const { outcome: _, ...missing } = rec;
    expect(check(root, missing, "$", root)).toContain("$.outcome: required");
    expect(check(root, { ...rec, ticket_id: "1" }, "$", root)).toContain(
      "$.ticket_id: expected integer, got string",
    );
  });

  test("a model episode with a fix, refusals and golden-signal snapshots validates", () => {
    const { ticket, events } = syntheticEpisode({
      turns: [
        [{ name: "edit_file", error: true, output: 'path may not contain "..": ../x' }],
        [{ name: "restart_service", input: { instance: "i1" } }],
        [{ name: "finish" }],
      ],
      events: [{ kind: "note", actor: "api", data: { text: "seen" } }],
      end: "completed",
      verification: { result: "passed", partial: false },
    });
    const rec = buildTrajectory(syntheticContext, ticket, null, events, 1, true);
    expect(rec.verification?.golden_before).not.toBeNull();
    expect(check(root, rec, "$", root)).toEqual([]);
    // oneOf and the bounds are checked too: a snapshot missing a signal, or a reward out of range, fails.
    const broken = {
      ...rec,
      verification: { ...rec.verification, golden_after: { at: 1 } },
      reward: { ...rec.reward, value: 2 },
    };
    expect(check(root, broken, "$", root)).toEqual([
      "$.verification.golden_after: matches 0 of oneOf, not exactly 1",
      "$.reward.value: above 1",
    ]);
  });

  test("documents every top-level field of the record", async () => {
    const rec = await nativeRecord();
    expect(Object.keys(root.properties ?? {}).sort()).toEqual(Object.keys(rec).sort());
    expect([...(root.required ?? [])].sort()).toEqual(Object.keys(rec).sort());
  });
});
