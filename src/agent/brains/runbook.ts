import { checkCriterion } from "../../monitor/criteria";
import type { QueryResult } from "../../telemetry/types";
import type { Ticket } from "../../tickets/model";
import type { Brain, BrainReply, BrainRequest, ContentBlock, Message, ToolUseBlock } from "../types";

/**
 * The offline, deterministic brain: fixed runbooks over the same tools a model would use. It is always
 * labelled `runbook`, never presented as AI. Its decisions are a pure function of the conversation.
 */
export class RunbookBrain implements Brain {
  readonly name = "runbook" as const;
  readonly model = "runbook-v1";

  async reply(req: BrainRequest): Promise<BrainReply> {
    return {
      content: decide(req.ticket, req.messages),
      stop_reason: "tool_use",
      usage: zeroUsage,
      model: this.model,
    };
  }
}

const zeroUsage = { input_tokens: 0, output_tokens: 0 };

interface Turn {
  calls: ToolUseBlock[];
  results: Map<string, { content: string; is_error?: boolean }>;
}

function turns(messages: Message[]): Turn[] {
  const out: Turn[] = [];
  for (const m of messages) {
    if (m.role === "assistant") {
      out.push({
        calls: m.content.filter((b): b is ToolUseBlock => b.type === "tool_use"),
        results: new Map(),
      });
    } else {
      for (const b of m.content) if (b.type === "tool_result") out.at(-1)?.results.set(b.tool_use_id, b);
    }
  }
  return out;
}

const call = (turn: number, i: number, name: string, input: Record<string, unknown>): ToolUseBlock => ({
  type: "tool_use",
  id: `rb_${turn}_${i}`,
  name,
  input,
});

function investigate(t: Ticket, turn: number): ContentBlock[] {
  return [
    { type: "text", text: "Checking the success criteria and the service before acting." },
    ...t.success_criteria.map((c, i) => call(turn, i, "query_metrics", { query: c.query })),
    call(turn, t.success_criteria.length, "service_status", {}),
  ];
}

function criteriaHold(t: Ticket, turn: Turn): { hold: boolean; findings: string[] } {
  const findings: string[] = [];
  let hold = true;
  t.success_criteria.forEach((c, i) => {
    const r = turn.results.get(turn.calls[i]?.id ?? "");
    if (!r || r.is_error) {
      hold = false;
      findings.push(`${c.query}: query failed`);
      return;
    }
    const check = checkCriterion(c, JSON.parse(r.content) as QueryResult);
    if (!check.pass) hold = false;
    findings.push(
      `${c.query} ${c.comparator} ${c.threshold ?? ""} → value ${check.value} (${check.pass ? "ok" : "violated"})`,
    );
  });
  return { hold, findings };
}

const isSloTicket = (t: Ticket) => t.source === "slo";
const isHeadroomTicket = (t: Ticket) =>
  t.success_criteria.some((c) => c.query.includes("key_capacity_used_ratio"));
const isCrashLoopTicket = (t: Ticket) => /crash.?loop/i.test(t.title);
const isStoreErrorTicket = (t: Ticket) =>
  t.success_criteria.some((c) => c.query.includes("store_errors_total"));
/** Bound on how far the runbook raises the store's timeout on its own: past it, fail-open answers cost less. */
const storeTimeoutCeiling = 250;

/** Doubles store.timeout_ms (within the ceiling): a slow but working store then decides again. */
export function raisedStoreTimeout(yaml: string): { content: string; from: number; to: number } | null {
  const doc = (Bun.YAML.parse(yaml) ?? {}) as { store?: { timeout_ms?: number } };
  const from = doc.store?.timeout_ms ?? 20;
  const to = Math.min(storeTimeoutCeiling, from * 2);
  if (to <= from) return null;
  return {
    content: Bun.YAML.stringify({ ...doc, store: { ...(doc.store ?? {}), timeout_ms: to } }, null, 2),
    from,
    to,
  };
}
const isDriftTicket = (t: Ticket) =>
  t.success_criteria.some((c) => /config_info|config_reload_total|config_last_reload/.test(c.query));
/** Bound on how far the runbook raises the key capacity on its own. */
const maxKeysCeiling = 1_000_000;

/** Raises store.max_keys by half (within the ceiling), keeping everything else in the file as it is. */
export function raisedKeyCapacity(yaml: string): { content: string; from: number; to: number } | null {
  const doc = (Bun.YAML.parse(yaml) ?? {}) as { store?: { max_keys?: number } };
  const from = doc.store?.max_keys ?? 100_000;
  const to = Math.min(maxKeysCeiling, Math.ceil(from * 1.5));
  if (to <= from) return null;
  return {
    content: Bun.YAML.stringify({ ...doc, store: { ...(doc.store ?? {}), max_keys: to } }, null, 2),
    from,
    to,
  };
}

const isAnomalyTicket = (t: Ticket) => t.source === "anomaly";
/** The rate limiter's sampled denials (1 in log.deny_sample), each naming the bucket key it hit. */
// A line filter, not `| json`: extracted fields would become labels and multiply the output's size.
export const denialLogQuery = '{service="rate-limiter"} |= "\\"msg\\":\\"denied\\""';
/** Below this many sampled denials, the shares say nothing. */
const minDenialSamples = 10;

/**
 * Explains an anomaly from the sampled denial log: one key with most of the denials is a noisy neighbour the
 * limiter is already holding to its limit; a rate anomaly without a fault is a change in demand. Neither
 * needs a change to the service: the monitor verifies once the value is back in its usual range.
 */
export function denialAttribution(t: Ticket, logLines: { line: string }[]): string {
  const counts = new Map<string, number>();
  for (const l of logLines) {
    try {
      const key = (JSON.parse(l.line) as { key?: unknown }).key;
      if (typeof key === "string") counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not one of the service's JSON lines: ignore it
    }
  }
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  const [top, topCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  const pct = `${Math.round((n > 0 ? topCount / n : 0) * 100)}%`;
  const sample = `${n} sampled denials in the last 5 minutes`;
  const verify = "No change made; the monitor verifies once the value is back in its usual range.";
  const query = t.success_criteria[0]?.query ?? "";
  if (!/denied/.test(query))
    return (
      `A change in demand, not a fault: the service answers normally (${sample}` +
      `${n >= minDenialSamples ? `, ${pct} of them for ${top}` : ""}). ${verify}`
    );
  if (n < minDenialSamples)
    return `Too few denials sampled (${n}) to attribute the jump to a client. ${verify}`;
  if (topCount >= n / 2)
    return (
      `Noisy neighbour: key ${top} has ${topCount} of ${sample} (${pct}). ` +
      `The limiter holds that client to its limit and the others are unaffected. ${verify}`
    );
  return (
    `Denials are spread over ${counts.size} keys (${sample}; the largest, ${top}, has ${pct}): ` +
    `demand has risen against the limits broadly. ${verify}`
  );
}

/** The lines of a query_logs result; none when it failed or came back truncated (no longer JSON). */
function logLines(r: { content: string; is_error?: boolean } | undefined): { line: string }[] {
  if (!r || r.is_error) return [];
  try {
    const v = JSON.parse(r.content) as unknown;
    return Array.isArray(v) ? v.filter((l): l is { line: string } => typeof l?.line === "string") : [];
  } catch {
    return [];
  }
}

/** An instance that is down or hung is the one fault a restart fixes. */
const isAvailabilityTicket = (t: Ticket) =>
  t.success_criteria.some((c) => /\bup\b/.test(c.query)) || /crash.?loop|instance down/i.test(t.title);

function decide(t: Ticket, messages: Message[]): ContentBlock[] {
  const history = turns(messages);
  const n = history.length;
  const last = history.at(-1);
  const names = history.flatMap((h) => h.calls.map((c) => c.name));
  if (!last) return investigate(t, n);
  const lastNames = last.calls.map((c) => c.name);

  if (lastNames.includes("query_metrics") || lastNames.includes("service_status")) {
    const { hold, findings } = criteriaHold(t, last);
    if (hold) {
      return [
        call(n, 0, "finish", { summary: `The success criteria already hold:\n${findings.join("\n")}` }),
      ];
    }
    if (isAnomalyTicket(t) && !names.includes("query_logs")) {
      return [
        {
          type: "text",
          text: `The value is outside its usual range:\n${findings.join("\n")}\nReading the denial samples.`,
        },
        call(n, 0, "query_logs", { query: denialLogQuery, since: "5m", limit: 30 }),
      ];
    }
    if (isSloTicket(t) && !names.includes("list_deploys")) {
      return [
        {
          type: "text",
          text: `The error budget is burning:\n${findings.join("\n")}\nChecking recent deploys.`,
        },
        call(n, 0, "list_deploys", { limit: 5 }),
      ];
    }
    // Headroom may need more than one raise while the load still grows; each raise is bounded.
    const raises = names.filter((x) => x === "update_config").length;
    const wantsConfig =
      isHeadroomTicket(t) || isStoreErrorTicket(t)
        ? raises < 3
        : (isDriftTicket(t) || isCrashLoopTicket(t)) && !names.includes("get_config");
    if (wantsConfig && lastNames.includes("query_metrics")) {
      return [
        { type: "text", text: `Config-related criteria are violated:\n${findings.join("\n")}` },
        call(n, 0, "get_config", {}),
      ];
    }
    if ((isAvailabilityTicket(t) || isDriftTicket(t)) && !names.includes("restart_service")) {
      return [
        { type: "text", text: `Availability criteria are violated:\n${findings.join("\n")}` },
        call(n, 0, "restart_service", { reason: "instance down or not answering scrapes" }),
      ];
    }
    if (!names.includes("request_approval")) {
      return [
        call(n, 0, "add_note", { text: `Runbook findings:\n${findings.join("\n")}` }),
        call(n, 1, "request_approval", {
          action: "human_review",
          reason: "No runbook covers this ticket; a person or a model should decide the fix.",
        }),
      ];
    }
    return [
      call(n, 0, "give_up", {
        reason: `No runbook fixes this and the criteria still fail:\n${findings.join("\n")}`,
      }),
    ];
  }
  if (lastNames.includes("query_logs")) {
    const r = last.results.get(last.calls[0]?.id ?? "");
    return [call(n, 0, "finish", { summary: denialAttribution(t, logLines(r)) })];
  }
  if (lastNames.includes("list_deploys")) {
    const r = last.results.get(last.calls[0]?.id ?? "");
    const changes = r && !r.is_error ? (JSON.parse(r.content) as { kind: string; at: string }[]) : [];
    const recent = changes.find((c) => c.kind === "deploy");
    if (recent) {
      return [call(n, 0, "rollback", { reason: `error budget burning after the deploy at ${recent.at}` })];
    }
    return [
      call(n, 0, "add_note", {
        text: "No recent deploy precedes the burn; the cause is elsewhere (traffic, config, dependency).",
      }),
      call(n, 1, "request_approval", {
        action: "human_review",
        reason: "No runbook fixes a burn without a recent deploy.",
      }),
    ];
  }
  if (lastNames.includes("rollback")) {
    const r = last.results.get(last.calls[0]?.id ?? "");
    if (r?.is_error) return [call(n, 0, "give_up", { reason: `Rollback failed: ${r.content}` })];
    return [call(n, 0, "finish", { summary: "Rolled back the deploy that preceded the error-budget burn." })];
  }
  if (lastNames.includes("get_config")) {
    const cfg = last.results.get(last.calls[0]?.id ?? "");
    const parsed =
      cfg && !cfg.is_error
        ? (JSON.parse(cfg.content) as {
            content: string;
            committed: string | null;
            uncommitted_change: boolean;
          })
        : null;
    // An out-of-band edit of the limits (the usual cause of crash loops and reload failures): restore them.
    if (parsed?.uncommitted_change && parsed.committed && (isCrashLoopTicket(t) || isDriftTicket(t))) {
      return [
        call(n, 0, "update_config", {
          content: parsed.committed,
          reason: "restore the last committed limits; the file was changed outside any ticket",
        }),
      ];
    }
    if (parsed && isStoreErrorTicket(t)) {
      const raised = raisedStoreTimeout(parsed.content);
      if (raised) {
        return [
          call(n, 0, "update_config", {
            content: raised.content,
            reason: `store errors: raise store.timeout_ms ${raised.from} → ${raised.to}`,
          }),
        ];
      }
    }
    if (parsed && isHeadroomTicket(t)) {
      const raised = raisedKeyCapacity(parsed.content);
      if (raised) {
        return [
          call(n, 0, "update_config", {
            content: raised.content,
            reason: `key headroom low: raise store.max_keys ${raised.from} → ${raised.to}`,
          }),
        ];
      }
    }
    // Drift: every instance reloads the same committed file on restart.
    return [call(n, 0, "restart_service", { reason: "reload the committed config on every instance" })];
  }
  if (lastNames.includes("update_config")) {
    const r = last.results.get(last.calls[0]?.id ?? "");
    if (r?.is_error)
      return [call(n, 0, "give_up", { reason: `The config change was rejected: ${r.content}` })];
    if ((isCrashLoopTicket(t) || isDriftTicket(t)) && !names.includes("restart_service")) {
      return [call(n, 0, "restart_service", { reason: "start every instance on the restored limits" })];
    }
    return [
      call(n, 0, "finish", {
        summary: isStoreErrorTicket(t)
          ? "Raised the store's timeout within bounds; the service reloads it."
          : "Raised the store's key capacity within bounds; the service reloads it.",
      }),
    ];
  }
  if (lastNames.includes("restart_service")) {
    return [
      call(n, 0, "finish", {
        summary: "Restarted the service's instances; the monitor will verify they are up.",
      }),
    ];
  }
  if (lastNames.includes("request_approval")) {
    const approvalId = last.calls.find((c) => c.name === "request_approval")?.id ?? "";
    const decision = last.results.get(approvalId)?.content ?? "";
    if (/"denied"/.test(decision)) {
      return [
        call(n, 0, "give_up", { reason: "A person denied the review request; leaving the ticket to them." }),
      ];
    }
    return investigate(t, n);
  }
  return investigate(t, n);
}
