import { pagerdutyResolve } from "./channels/pagerduty";
import { deliver } from "./deliver";
import { testMessage } from "./message";
import type { Target } from "./model";
import { type SendDeps, send } from "./send";

export interface TestResult {
  target: string;
  channel: Target["channel"];
  ok: boolean;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

/**
 * One test message to each target, once, no retries: the answer is what the receiver says now. PagerDuty's
 * test incident is resolved straight after, so it does not stay open.
 */
export async function sendTestMessages(
  targets: readonly Target[],
  publicUrl: string,
  deps: SendDeps,
): Promise<TestResult[]> {
  return Promise.all(
    targets.map(async (t) => {
      const m = testMessage(publicUrl, deps.clock.now());
      let r = await deliver(t, m, publicUrl, deps);
      if (r.ok && t.channel === "pagerduty") {
        const resolved = await send(pagerdutyResolve(t.url, t.secret ?? "", m.key), deps);
        r = { ...resolved, duration_ms: r.duration_ms + resolved.duration_ms };
      }
      return {
        target: t.name,
        channel: t.channel,
        ok: r.ok,
        status: r.status,
        error: r.error,
        duration_ms: r.duration_ms,
      };
    }),
  );
}
