import type { Core } from "../core";
import { defaultSandbox, type Sandbox } from "../sandbox/sandbox";
import type { Supervisor } from "../supervisor/supervisor";
import type { MetricsBackend } from "../telemetry/types";
import type { DeployResult } from "./deploy-record";
import { rollbackLastDeploy } from "./rollback";
import { runDeploy } from "./run-deploy";

export { reapInterruptedCanary } from "./canary-process";
export type { DeployResult } from "./deploy-record";
export { recoverInterruptedDeploys } from "./recover";

export interface PipelineDeps {
  core: Core;
  supervisor: Supervisor;
  workspaceDir: string;
  /** How long the canary and the running version are probed side by side. */
  canaryMs: number;
  /** How long the promoted version is watched before the deploy counts as done. */
  watchMs: number;
  /** For the error-budget gate and the SLO check during the watch; without it neither runs. */
  metrics?: MetricsBackend | null;
  /** Budget share below which only fixes for that SLO may deploy (0 turns the gate off). */
  budgetFloor?: number;
  /** Where the canary's pid file lives, so a harness restarted after a crash can stop a left-over canary. */
  stateDir?: string;
  /** Where checks run (tests, build, type check); the default sandbox when unset. */
  sandbox?: Sandbox;
  /** The operator's test command (`service.test_command`). */
  testCommand?: readonly string[];
  log: (msg: string, data?: Record<string, unknown>) => void;
}

/**
 * One deploy at a time: check (tests) → canary (new version beside the old, same probe, compared) →
 * promote (main fast-forwards, instances hand over on the same port) → watch (readiness); a failed watch
 * rolls back to the previous commit. Every stage is an event on the ticket and a row in `deploys`
 * (run-deploy.ts). A manual rollback takes the same lock: main and the instances have one mover at a time.
 */
export function createPipeline(deps: PipelineDeps) {
  const sandbox = deps.sandbox ?? defaultSandbox();
  let busy = false;

  async function exclusive<T>(refusal: string, fn: () => Promise<T>): Promise<T> {
    if (busy) throw new Error(refusal);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  }

  return {
    deploy: (ticketId: number): Promise<DeployResult> =>
      exclusive("another deploy is running; deploys run one at a time", () =>
        runDeploy(deps, sandbox, ticketId),
      ),
    /** Returns the service to the commit before the latest completed deploy, with the same handover. */
    rollback: (ticketId: number, reason: string) =>
      exclusive("a deploy is running; roll back after it finishes", () =>
        rollbackLastDeploy(deps.core, deps.supervisor, deps.workspaceDir, ticketId, reason),
      ),
    busy: () => busy,
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;
