import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { workedTickets } from "../testing/agent";
import { ATIF_VERSION, AtifTrajectory } from "./atif-spec";
import { buildTrajectory } from "./build";
import { trajectoryContext } from "./context";
import { exportLines } from "./export";
import { type SyntheticEpisode, syntheticContext, syntheticEpisode } from "./fixtures";
import { formats } from "./formats";
import { datasetCard, type HfRow, hfJson } from "./hf";
import type { TrajectoryRecord } from "./record";

/**
 * Every export format against its published schema, over a real runbook episode and synthetic model episodes
 * (a fix, a give-up with a failed tool, a hand-over): ATIF v1.7's models, OpenAI's fine-tuning chat format,
 * and the Hugging Face card's own column types.
 */

const modelEpisodes: [string, SyntheticEpisode][] = [
  [
    "a verified restart",
    {
      turns: [[{ name: "restart_service", input: { instance: "i1" } }], [{ name: "finish" }]],
      end: "completed",
      verification: { result: "passed" },
    },
  ],
  [
    "a give-up after a failed tool",
    {
      turns: [
        [{ name: "edit_file", error: true, output: "error: old text not found" }],
        [{ name: "give_up" }],
      ],
      end: "failed",
    },
  ],
  ["a hand-over", { turns: [[{ name: "needs_human", input: { reason: "unclear" } }]], end: "needs_human" }],
];

async function episodes(): Promise<[string, TrajectoryRecord][]> {
  const { core } = await workedTickets(1);
  const [line] = [...exportLines(core, trajectoryContext(), "native", {})];
  return [
    ["the runbook's worked ticket", JSON.parse(line as string) as TrajectoryRecord],
    ...modelEpisodes.map(([name, spec], i): [string, TrajectoryRecord] => {
      const { ticket, events } = syntheticEpisode(spec, i + 2);
      return [name, buildTrajectory(syntheticContext, ticket, null, events, 1, true)];
    }),
  ];
}

const issues = (r: { success: boolean; error?: z.ZodError }) =>
  r.success ? [] : (r.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);

describe("atif: ATIF v1.7", () => {
  test("every episode validates against the spec's models", async () => {
    for (const [name, rec] of await episodes()) {
      const atif = JSON.parse(JSON.stringify(formats.atif(rec)));
      expect({ name, issues: issues(AtifTrajectory.safeParse(atif)) }).toEqual({ name, issues: [] });
      expect(atif.schema_version).toBe(ATIF_VERSION);
    }
  });

  test("model turns carry their usage and one model call; runbook turns carry neither", async () => {
    for (const [, rec] of await episodes()) {
      const agent = formats.atif(rec).steps.filter((s) => s.source === "agent");
      for (const [i, s] of agent.entries()) {
        const model = rec.steps[i]?.llm_call_count === 1;
        expect(s.llm_call_count).toBe(model ? 1 : 0);
        if (model) expect(s.metrics?.completion_tokens).toBe(rec.steps[i]?.usage.output_tokens);
        else expect(s.metrics).toBeUndefined();
      }
    }
  });

  test("the checker rejects what the spec rejects", async () => {
    const [, rec] = (await episodes())[1] as [string, TrajectoryRecord];
    const good = formats.atif(rec);
    const bad = (t: unknown) => AtifTrajectory.safeParse(t).success;
    expect(bad(good)).toBe(true);
    expect(bad({ ...good, schema_version: "ATIF-v1.4" })).toBe(false);
    expect(bad({ ...good, unknown_field: 1 })).toBe(false);
    const steps = good.steps.map((s) => (s.source === "agent" ? { ...s, llm_call_count: 0 } : s));
    expect(bad({ ...good, steps })).toBe(false); // llm_call_count 0 with metrics
    const system = { ...good.steps[0], metrics: { prompt_tokens: 1 } };
    expect(bad({ ...good, steps: [system, ...good.steps.slice(1)] })).toBe(false); // agent-only field
    expect(bad({ ...good, final_metrics: { total_steps: 99 } })).toBe(false);
  });
});

/**
 * OpenAI's per-line fine-tuning input for chat models (FineTuneChatRequestInput: messages, tools,
 * parallel_tool_calls), restricted to the roles and fields we write.
 */
const FunctionCall = z
  .object({
    id: z.string().min(1),
    type: z.literal("function"),
    function: z.object({ name: z.string(), arguments: z.string() }).strict(),
  })
  .strict();
const Message = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: z.string() }).strict(),
  z.object({ role: z.literal("user"), content: z.string() }).strict(),
  z
    .object({
      role: z.literal("assistant"),
      content: z.string().nullable(),
      tool_calls: z.array(FunctionCall).min(1).optional(),
      weight: z.union([z.literal(0), z.literal(1)]).optional(),
    })
    .strict()
    .refine(
      (m) => m.content !== null || m.tool_calls !== undefined,
      "an assistant message says or calls something",
    ),
  z.object({ role: z.literal("tool"), tool_call_id: z.string(), content: z.string() }).strict(),
]);
const OpenAIExample = z
  .object({
    messages: z.array(Message).min(2),
    tools: z
      .array(
        z
          .object({
            type: z.literal("function"),
            function: z
              .object({
                name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
                description: z.string().optional(),
                parameters: z.record(z.string(), z.unknown()).optional(),
              })
              .strict(),
          })
          .strict(),
      )
      .optional(),
    parallel_tool_calls: z.boolean().optional(),
  })
  .strict();

describe("openai: chat fine-tuning format", () => {
  test("every episode is a valid example that pairs calls with results and ends on the assistant", async () => {
    for (const [name, rec] of await episodes()) {
      const row = JSON.parse(JSON.stringify(formats.openai(rec)));
      expect({ name, issues: issues(OpenAIExample.safeParse(row)) }).toEqual({ name, issues: [] });
      const messages = OpenAIExample.parse(row).messages;
      expect(messages[0]?.role).toBe("system");
      expect(messages.at(-1)?.role).toBe("assistant");
      // Every call but the last turn's is answered, right after its turn, in order.
      let open: string[] = [];
      for (const m of messages) {
        if (m.role === "tool") {
          expect(m.tool_call_id).toBe(open.shift() as string);
          continue;
        }
        expect(open).toEqual([]);
        if (m.role === "assistant") open = (m.tool_calls ?? []).map((c) => c.id);
        for (const c of m.role === "assistant" ? (m.tool_calls ?? []) : [])
          expect(typeof JSON.parse(c.function.arguments)).toBe("object");
      }
    }
  });
});

describe("hf: the dataset card's columns", () => {
  const arrow = (v: unknown): string =>
    typeof v === "string"
      ? "string"
      : typeof v === "boolean"
        ? "bool"
        : typeof v === "number"
          ? "number"
          : Array.isArray(v)
            ? "list<struct>"
            : String(v);

  test("every row has exactly the card's columns, each of the card's type, and no nulls", async () => {
    const rows = (await episodes()).map(([, rec]) => formats.hf(rec));
    const card = datasetCard(rows);
    const declared = [...card.matchAll(/^\| `([a-z_]+)` \| ([a-z0-9<>]+) \|/gm)].map((m) => [m[1], m[2]]);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(declared.map(([k]) => k as string));
      const line = JSON.parse(hfJson(row)) as Record<string, unknown>;
      for (const [k, type] of declared) {
        const v = (row as unknown as Record<string, unknown>)[k as string];
        expect(v).not.toBeNull();
        const seen = arrow(v);
        if (type === "int64") expect(Number.isInteger(v)).toBe(true);
        else if (type === "float64")
          expect(hfJson(row)).toMatch(new RegExp(`"${k}":-?\\d+\\.\\d+(e-?\\d+)?[,}]`));
        else expect(`${k}:${seen}`).toBe(`${k}:${type}`);
        expect(line[k as string]).toEqual(v);
      }
    }
  });

  test("reward columns agree with the record", async () => {
    for (const [, rec] of await episodes()) {
      const row: HfRow = formats.hf(rec);
      expect(row).toMatchObject({
        reward: rec.reward.value,
        reward_class: rec.reward.class,
        verified: rec.reward.components.verified,
        changed: rec.reward.components.changed,
      });
      expect(JSON.parse(row.reward_components_json)).toEqual({
        version: rec.reward.version,
        ...rec.reward.components,
      });
    }
  });
});
