import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { limitsFile } from "./fault";
import { type HarnessHandle, type Instance, poll, type Ticket } from "./harness-handle";
import type { Scenario } from "./scenarios";

/**
 * Scenarios share one running harness, so each must leave it as it found it: a ticket still open, a detector's
 * cooldown or a limits file left by one scenario would cause false tickets or hide the next one's fault (the
 * key explosion's `max_keys: 40` gave the surge five false headroom tickets; the surge's tail hid the noisy
 * neighbour's). Before a run the lab takes the slate; after every scenario it puts it back.
 */
export interface Slate {
  /** The limits file as it was before the run (null: the harness has no workspace the lab can reach). */
  limits: string | null;
}

/** Statuses a ticket ends in; anything else is still open. */
const final = new Set(["completed", "answered", "failed", "cancelled"]);

export function takeSlate(h: HarnessHandle): Slate {
  const file = limitsFile(h);
  return { limits: existsSync(file) ? readFileSync(file, "utf8") : null };
}

/** Ready instances, as the harness reports them. */
export async function readyInstances(h: HarnessHandle): Promise<Instance[]> {
  return (await h.api<Instance[]>("/api/v1/service")).data.filter((i) => i.state === "ready");
}

/**
 * Puts the harness back after a scenario: the scenario's tickets that are still open are cancelled (the lab
 * has scored them), its own rules are deleted (with their state and cooldowns), the limits file is restored,
 * and the lab waits until as many instances are ready as before. Returns what it did, for the run's log.
 */
export async function restoreSlate(
  h: HarnessHandle,
  slate: Slate,
  s: Scenario,
  openedIds: readonly number[],
  instancesBefore: number,
): Promise<string[]> {
  const did: string[] = [];
  for (const id of openedIds) {
    const t = (await h.api<Ticket>(`/api/v1/tickets/${id}`)).data;
    if (final.has(t.status)) continue;
    await h.api(`/api/v1/tickets/${id}/cancel`, {
      method: "POST",
      body: { reason: `lab: scenario ${s.name} is over; the lab restores a clean slate for the next one` },
    });
    did.push(`cancelled #${id} (${t.status})`);
  }
  const kinds = [
    ["invariants", s.rules?.invariants ?? []],
    ["anomalies", s.rules?.anomalies ?? []],
  ] as const;
  for (const [path, rules] of kinds) {
    if (rules.length === 0) continue;
    const stored = (await h.api<{ id: number; name: string }[]>(`/api/v1/${path}`)).data;
    for (const r of rules) {
      const found = stored.find((x) => x.name === r.name);
      if (!found) continue;
      await h.api(`/api/v1/${path}/${found.id}`, { method: "DELETE" });
      did.push(`deleted ${path} ${r.name}`);
    }
  }
  const file = limitsFile(h);
  if (slate.limits !== null && existsSync(file) && readFileSync(file, "utf8") !== slate.limits) {
    writeFileSync(file, slate.limits);
    did.push("restored limits.yaml");
  }
  const ready = await poll(async () => (await readyInstances(h)).length >= instancesBefore, 90_000);
  if (!ready) did.push(`only ${(await readyInstances(h)).length} of ${instancesBefore} instances ready`);
  return did;
}
