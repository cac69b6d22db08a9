import { join } from "node:path";
import { LIMITS_FILE } from "../workspace/workspace";
import type { HarnessHandle, Instance } from "./harness-handle";
import type { Scenario } from "./scenarios";

/** One kind of fault as a scenario declares it, e.g. `FaultOf<"surge">`. */
export type FaultOf<K extends Scenario["fault"]["kind"]> = Extract<Scenario["fault"], { kind: K }>;

/** Where a fault lands: the running service as the harness reports it. */
export interface FaultContext {
  h: HarnessHandle;
  instances: Instance[];
  /** The first ready instance; faults on one instance hit this one. */
  first: Instance;
  /** Its base URL, for traffic. */
  target: string;
}

/**
 * A fault as applied: `onset` is when it began (detection and resolution times count from there); a fault
 * that lasts (traffic) keeps `running` while the lab watches for its detection.
 */
export interface AppliedFault {
  onset: number;
  running?: Promise<unknown>;
}

/** The service's limits file in the harness's workspace, which the operator-style faults edit. */
export const limitsFile = (h: HarnessHandle) => join(h.dataDir, "workspace", "rate-limiter", LIMITS_FILE);
