import { toAnthropic } from "./formats";
import type { TrajectoryRecord } from "./record";

type Block = { type: string; text?: string };

export interface HfToolCall {
  name: string;
  input_json: string;
  output: string;
  is_error: boolean;
}

export interface HfStep {
  index: number;
  text: string;
  tool_calls: HfToolCall[];
}

/**
 * One flat row per episode. Every column has one type in every row (no nulls: "" and 0 stand in)
 * because the `datasets` loader infers an Arrow schema and rejects files whose rows disagree.
 * Free-form objects travel as JSON strings for the same reason.
 */
export interface HfRow {
  episode_id: string;
  ticket_id: number;
  attempt: number;
  source: string;
  brain: string;
  model: string;
  outcome: string;
  reward: number;
  reward_class: string;
  verified: boolean;
  changed: boolean;
  partial: boolean;
  unsafe_actions: number;
  reward_components_json: string;
  steps_count: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  started_at: string;
  title: string;
  objective: string;
  steps: HfStep[];
  messages_json: string;
}

export function toHf(r: TrajectoryRecord): HfRow {
  return {
    episode_id: r.episode_id,
    ticket_id: r.ticket_id,
    attempt: r.attempt,
    source: r.source,
    brain: r.brain ?? "",
    model: r.model ?? "",
    outcome: r.outcome,
    reward: r.reward.value,
    reward_class: r.reward.class,
    verified: r.reward.components.verified,
    changed: r.reward.components.changed,
    partial: r.reward.components.partial,
    unsafe_actions: r.reward.components.unsafe_actions,
    reward_components_json: JSON.stringify({ version: r.reward.version, ...r.reward.components }),
    steps_count: r.totals.steps,
    input_tokens: r.totals.input_tokens,
    output_tokens: r.totals.output_tokens,
    cost_usd: r.totals.cost_usd,
    started_at: r.started_at === null ? "" : new Date(r.started_at).toISOString(),
    title: r.initial_state.title,
    objective: r.initial_state.objective,
    steps: r.steps.map((s) => ({
      index: s.index,
      text: (s.content as Block[])
        .filter((b) => b.type === "text")
        .map((b) => b.text ?? "")
        .join("\n"),
      tool_calls: s.tool_calls.map((c) => ({
        name: c.name,
        input_json: JSON.stringify(c.input),
        output: c.output,
        is_error: c.is_error,
      })),
    })),
    messages_json: JSON.stringify(toAnthropic(r).messages),
  };
}

/** The Hub's size_categories buckets. */
function sizeCategory(n: number): string {
  const buckets: [number, string][] = [
    [1_000, "n<1K"],
    [10_000, "1K<n<10K"],
    [100_000, "10K<n<100K"],
    [1_000_000, "100K<n<1M"],
    [10_000_000, "1M<n<10M"],
  ];
  return buckets.find(([max]) => n < max)?.[1] ?? "10M<n<100M";
}

function countBy<R>(rows: R[], key: (r: R) => string): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const lines = [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `| ${k || "(none)"} | ${n} |`);
  return lines.length ? lines.join("\n") : "| (none) | 0 |";
}

/**
 * One row as a JSON line whose float64 columns are written as floats (`0.0`, not `0`): JSON has one number
 * type, and the Hub's loader infers int64 from a column of whole numbers, which then disagrees with the card.
 */
export function hfJson(row: unknown): string {
  const floats = FIELDS.filter(([, type]) => type === "float64").map(([name]) => name);
  return JSON.stringify(row).replace(
    new RegExp(`"(${floats.join("|")})":(-?\\d+)(?=[,}])`, "g"),
    (_m, name: string, n: string) => `"${name}":${n}.0`,
  );
}

const FIELDS: [keyof HfRow, string, string][] = [
  ["episode_id", "string", "`t<ticket>-a<attempt>`; unique per row"],
  ["ticket_id", "int64", "Harness ticket id"],
  ["attempt", "int64", "1-based attempt number on the ticket"],
  ["source", "string", "what opened the ticket: slo, invariant, anomaly, schedule, human, webhook, agent"],
  ["brain", "string", "agent brain (`claude`, `runbook`); empty if it never ran"],
  ["model", "string", "model id; empty for non-LLM brains"],
  [
    "outcome",
    "string",
    "completed, answered, needs_human, failed, gave_up, budget_exhausted, cancelled, in_progress",
  ],
  [
    "reward",
    "float64",
    "scalar reward `harness.reward/v2` in [-1, 1]: the class sets the band, then safety, then effort",
  ],
  [
    "reward_class",
    "string",
    "verified_fix, verified_fix_partial, verified_no_change, verified_no_change_partial, answered, needs_human, unfinished, failed",
  ],
  ["verified", "bool", "the monitor verified the ticket's success criteria after the attempt"],
  ["changed", "bool", "a change tool (edit, config, deploy, restart, rollback) ran without error"],
  ["partial", "bool", "verified, but the service is worse than its baseline"],
  [
    "unsafe_actions",
    "int64",
    "calls refused by policy, a person or confinement, and unapproved risky actions",
  ],
  [
    "reward_components_json",
    "string",
    "every reward component with the reward version, JSON-encoded (nulls kept: time_to_resolve_s, error_budget_spent)",
  ],
  ["steps_count", "int64", "brain turns in the episode"],
  ["input_tokens", "int64", "uncached input tokens summed over steps"],
  ["output_tokens", "int64", "output tokens summed over steps"],
  ["cost_usd", "float64", "estimated API cost"],
  ["started_at", "string", "ISO 8601 UTC time the attempt was claimed; empty if unknown"],
  ["title", "string", "ticket title"],
  ["objective", "string", "ticket objective given to the agent"],
  [
    "steps",
    "list<struct>",
    "`{index, text, tool_calls: [{name, input_json, output, is_error}]}` per brain turn",
  ],
  ["messages_json", "string", "the conversation as Anthropic Messages API `messages`, JSON-encoded"],
];

/**
 * A Hugging Face dataset card (README.md) for rows exported with `--format hf`.
 * `dataFile` is the path of the JSONL file inside the dataset repository.
 */
export function datasetCard(rows: Pick<HfRow, "outcome" | "brain">[], dataFile = "data/train.jsonl"): string {
  // JSON strings are valid YAML scalars, so quoting with JSON.stringify keeps odd paths safe.
  const front = [
    "---",
    "license: other",
    "pretty_name: Harness agent trajectories",
    "task_categories:",
    "  - text-generation",
    "tags:",
    "  - agents",
    "  - tool-use",
    "  - trajectories",
    "size_categories:",
    `  - ${sizeCategory(rows.length)}`,
    "configs:",
    "  - config_name: default",
    "    data_files:",
    "      - split: train",
    `        path: ${JSON.stringify(dataFile)}`,
    "---",
  ].join("\n");
  const fields = FIELDS.map(([name, type, desc]) => `| \`${name}\` | ${type} | ${desc} |`).join("\n");
  return `${front}

# Harness agent trajectories

Each row is one episode: one attempt by a Harness agent at one operations ticket, from claim to
outcome, exported with \`harness trajectories export --format hf\`. ${rows.length} episode${rows.length === 1 ? "" : "s"}.

## Fields

| column | type | description |
| --- | --- | --- |
${fields}

## Episodes by outcome

| outcome | episodes |
| --- | --- |
${countBy(rows, (r) => r.outcome)}

## Episodes by brain

| brain | episodes |
| --- | --- |
${countBy(rows, (r) => r.brain)}

## Notes

Tool outputs are recorded verbatim from the environment; review them for sensitive data before
publishing. The reward is documented in Harness's docs/trajectories.md ("Reward"). The full record,
including verification and the service's golden signals, is available with \`--format native\`
(schema \`harness.trajectory/v2\`).
`;
}
