import { lstatSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { Core } from "../core";
import { checkCriterion } from "../monitor/criteria";
import type { MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";

/** Roughly 4 characters a token; the brief is cut to stay inside its share of the context window. */
export const contextBudgetChars = 24_000;

export interface Brief {
  criteria_now: unknown[];
  related_tickets: unknown[];
  recent_changes: unknown[];
  code_map: string[];
}

function codeMap(dir: string | null): string[] {
  if (!dir) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const p = join(d, name);
      // lstat: a link is listed as one and never followed (a committed link may point anywhere).
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push(`${relative(dir, p)} (symbolic link)`);
      else if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(`${relative(dir, p)} (${st.size} B)`);
      if (out.length >= 200) return;
    }
  };
  try {
    walk(dir);
  } catch {
    return [];
  }
  return out;
}

/** What the agent knows before its first step: the criteria's values now, related work, recent changes, the code. */
export async function buildBrief(
  core: Core,
  metrics: MetricsBackend,
  t: Ticket,
  workspaceDir: string | null,
): Promise<Brief> {
  const now = core.clock.now();
  const criteria_now = await Promise.all(
    t.success_criteria.map(async (c) => {
      try {
        return checkCriterion(c, await metrics.instantQuery(c.query, now));
      } catch (err) {
        return { query: c.query, error: (err as Error).message };
      }
    }),
  );
  const related = [
    ...(t.fingerprint
      ? core.tickets.list({ limit: 50 }).items.filter((x) => x.fingerprint === t.fingerprint && x.id !== t.id)
      : []),
    ...(t.parent_id ? [core.tickets.get(t.parent_id)] : []),
  ]
    .slice(0, 5)
    .map((x) => ({
      id: x.id,
      title: x.title,
      status: x.status,
      resolution: x.resolution,
      created_at: new Date(x.created_at).toISOString(),
    }));
  const changes = core.changes.recent(10).map((e) => ({
    ticket: e.ticket_id,
    at: new Date(e.ts).toISOString(),
    kind: e.kind,
    ...e.data,
  }));
  return { criteria_now, related_tickets: related, recent_changes: changes, code_map: codeMap(workspaceDir) };
}

/** Keeps the brief within budget by dropping the least useful parts first, and says what was dropped. */
export function fitBrief(text: string, budget = contextBudgetChars): string {
  if (text.length <= budget) return text;
  return `${text.slice(0, budget)}\n[context truncated at ${budget} characters; use get_ticket, list_deploys and list_files for the rest]`;
}
