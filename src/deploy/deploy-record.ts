import type { Core } from "../core";
import type { Signals } from "./slo-gate";

/** One stage as recorded: on the deploy's row and as a `deploy_stage` event on the ticket. */
export interface StageRecord {
  stage: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface DeployResult {
  id: number;
  status: "completed" | "failed" | "rolled_back";
  stage: string;
  reason: string;
  commit: string;
}

export interface DeployRecord {
  id: number;
  /** The stage that ran last, where a failure is reported when nothing more precise is known. */
  lastStage(): string | undefined;
  /** Runs one stage, timed, and records how it went; `ok` and `detail` read its outcome. */
  stage<T>(name: string, fn: () => Promise<T>, ok: (v: T) => boolean, detail: (v: T) => string): Promise<T>;
  /** Closes the row and writes the closing event (`deploy`, `rollback` or `deploy_failed`). */
  finish(status: DeployResult["status"], stage: string, reason: string): Promise<DeployResult>;
}

export interface OpenDeploy {
  core: Core;
  ticketId: number;
  commit: string;
  previous: string;
  /** The golden signals now, or null without a metrics backend: read at the start and at the finish. */
  measure: () => Promise<Signals | null>;
}

/**
 * One trip through the pipeline as it is written down: the `deploys` row and the ticket's events kept in
 * step, each stage written as it starts so a crash mid-stage is reported where it happened.
 */
export async function openDeployRecord(o: OpenDeploy): Promise<DeployRecord> {
  const { core, ticketId, commit, previous } = o;
  const { clock } = core;
  const stages: StageRecord[] = [];
  const id = core.deploys.start(ticketId, commit, previous, clock.now());
  const event = (kind: string, data: Record<string, unknown>) =>
    core.tickets.addEvent(ticketId, kind, "pipeline", data);
  // Golden signals before and after, so each deploy says what it did to the service.
  const signalsBefore = await o.measure();
  event("deploy_started", { deploy_id: id, commit, previous });
  return {
    id,
    lastStage: () => stages.at(-1)?.stage,
    async stage(name, fn, ok, detail) {
      core.deploys.stage(id, name);
      const t0 = clock.now();
      const v = await fn();
      const done = { stage: name, ok: ok(v), ms: clock.now() - t0, detail: detail(v).slice(-2000) };
      stages.push(done);
      event("deploy_stage", { deploy_id: id, ...done });
      return v;
    },
    async finish(status, stage, reason) {
      const metrics = { before: signalsBefore, after: await o.measure() };
      core.deploys.finish(id, { status, stage, reason, stages, metrics });
      const kind =
        status === "completed" ? "deploy" : status === "rolled_back" ? "rollback" : "deploy_failed";
      event(kind, { deploy_id: id, commit, previous, stage, reason, stages, metrics });
      return { id, status, stage, reason, commit };
    },
  };
}
