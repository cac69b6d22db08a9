import type { Database } from "bun:sqlite";
import type { Clock } from "../lib/clock";
import type { Redactor } from "../lib/redact";

export type DeployStatus = "running" | "completed" | "failed" | "rolled_back";

export interface DeployRow {
  id: number;
  ticket_id: number;
  commit_sha: string;
  previous_sha: string | null;
  status: DeployStatus;
  stage: string;
  reason: string | null;
  /** JSON: the stages run, each with the tail of its output. */
  stages: string;
  /** JSON: golden signals before and after. */
  metrics: string;
  started_at: number;
  finished_at: number | null;
}

export type DeployRepo = ReturnType<typeof createDeployRepo>;

/** The deploys table: one row per trip through the pipeline, written as it goes so a crash shows where. */
export function createDeployRepo(db: Database, clock: Clock, redactor: Redactor) {
  return {
    start(ticketId: number, commit: string, previous: string, at: number): number {
      const row = db
        .query<{ id: number }, [number, string, string, number]>(
          "INSERT INTO deploys (ticket_id, commit_sha, previous_sha, status, stage, started_at) VALUES (?, ?, ?, 'running', 'check', ?) RETURNING id",
        )
        .get(ticketId, commit, previous, at) as { id: number };
      return row.id;
    },
    /** Names the stage in progress, so a crash mid-stage is reported where it happened. */
    stage(id: number, stage: string): void {
      db.query("UPDATE deploys SET stage = ? WHERE id = ?").run(stage, id);
    },
    finish(
      id: number,
      f: { status: DeployStatus; stage: string; reason: string; stages: unknown[]; metrics: unknown },
    ): void {
      db.query(
        "UPDATE deploys SET status = ?, stage = ?, reason = ?, stages = ?, finished_at = ?, metrics = ? WHERE id = ?",
      ).run(
        f.status,
        f.stage,
        f.reason,
        JSON.stringify(f.stages),
        clock.now(),
        JSON.stringify(f.metrics),
        id,
      );
    },
    lastCompleted(): { id: number; commit_sha: string; previous_sha: string | null } | null {
      return (
        db
          .query<{ id: number; commit_sha: string; previous_sha: string | null }, []>(
            "SELECT id, commit_sha, previous_sha FROM deploys WHERE status = 'completed' ORDER BY id DESC LIMIT 1",
          )
          .get() ?? null
      );
    },
    markRolledBack(id: number, reason: string): void {
      db.query("UPDATE deploys SET status = 'rolled_back', reason = ? WHERE id = ?").run(reason, id);
    },
    /** Deploys a crash left `running`, each marked failed in the same transaction as it is returned. */
    failInterrupted(): { id: number; ticket_id: number; stage: string }[] {
      // Every role runs this at start: only take the write lock when there is something to mark.
      const running = db
        .query<{ n: number }, []>("SELECT COUNT(*) AS n FROM deploys WHERE status = 'running'")
        .get();
      if (!running?.n) return [];
      return db
        .transaction(() => {
          const rows = db
            .query<{ id: number; ticket_id: number; stage: string }, []>(
              "SELECT id, ticket_id, stage FROM deploys WHERE status = 'running'",
            )
            .all();
          for (const r of rows)
            db.query("UPDATE deploys SET status = 'failed', reason = ?, finished_at = ? WHERE id = ?").run(
              `interrupted during ${r.stage}: the harness stopped`,
              clock.now(),
              r.id,
            );
          return rows;
        })
        .immediate();
    },
    /** Newest first. Stages keep the tail of test output, which may print a secret: rows are redacted here. */
    list(limit: number): DeployRow[] {
      return redactor.value(
        db.query<DeployRow, [number]>("SELECT * FROM deploys ORDER BY id DESC LIMIT ?").all(limit),
      );
    },
  };
}
