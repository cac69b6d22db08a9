import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { git } from "../workspace/git";

export interface AuditProblem {
  kind:
    | "commit_without_ticket"
    | "commit_unknown_ticket"
    | "ticket_without_observation"
    | "event_sequence_gap";
  detail: string;
}

const systemSources = new Set(["slo", "invariant", "anomaly", "webhook"]);

/** Pure over the database and the workspace's git history: every change has a ticket, every ticket a cause. */
export function auditVerify(
  db: Database,
  workspaceDir: string | null,
): { problems: AuditProblem[]; checked: Record<string, number> } {
  const problems: AuditProblem[] = [];
  const ticketIds = new Set(
    db
      .query<{ id: number }, []>("SELECT id FROM tickets")
      .all()
      .map((r) => r.id),
  );

  for (const t of db
    .query<{ id: number; source: string; observation_id: number | null; source_ref: string | null }, []>(
      "SELECT id, source, observation_id, source_ref FROM tickets",
    )
    .all()) {
    if (systemSources.has(t.source) && t.observation_id === null) {
      problems.push({
        kind: "ticket_without_observation",
        detail: `ticket #${t.id} (source ${t.source}) has no observation`,
      });
    }
    if (t.source === "schedule" && !t.source_ref) {
      problems.push({
        kind: "ticket_without_observation",
        detail: `ticket #${t.id} (schedule) names no schedule`,
      });
    }
  }

  const gaps = db
    .query<{ ticket_id: number; n: number; max: number }, []>(
      "SELECT ticket_id, COUNT(*) AS n, MAX(seq) AS max FROM ticket_events GROUP BY ticket_id HAVING n != max OR MIN(seq) != 1",
    )
    .all();
  for (const g of gaps) {
    problems.push({
      kind: "event_sequence_gap",
      detail: `ticket #${g.ticket_id} has ${g.n} events numbered up to ${g.max}`,
    });
  }

  let commits = 0;
  if (workspaceDir && existsSync(join(workspaceDir, ".git"))) {
    const root = git(workspaceDir, ["rev-list", "--max-parents=0", "--all"]).stdout.trim().split("\n");
    const log = git(workspaceDir, [
      "log",
      "--all",
      "--format=%H%x1f%s%x1f%(trailers:key=Ticket,valueonly,separator=%x2c)%x1e",
    ]);
    for (const entry of log.stdout.split("\x1e")) {
      const [hash, subject, trailer] = entry.trim().split("\x1f");
      if (!hash) continue;
      commits++;
      if (root.includes(hash)) continue; // the import of the bundled sources
      const ids = (trailer ?? "")
        .split(",")
        .map((s) => Number(s.trim()))
        .filter((n) => Number.isInteger(n) && n > 0);
      if (ids.length === 0) {
        problems.push({
          kind: "commit_without_ticket",
          detail: `commit ${hash.slice(0, 12)} "${subject}" has no Ticket trailer`,
        });
      } else {
        for (const id of ids) {
          if (!ticketIds.has(id))
            problems.push({
              kind: "commit_unknown_ticket",
              detail: `commit ${hash.slice(0, 12)} names unknown ticket ${id}`,
            });
        }
      }
    }
  }
  return { problems, checked: { tickets: ticketIds.size, commits } };
}
