import type { Core } from "../core";
import { fingerprints } from "../tickets/intake";

/** A crash-looping instance is a problem like any other: one ticket with an observation, de-duplicated. */
export function openCrashLoopTicket(
  core: Core,
  instance: string,
  data: Record<string, unknown>,
): number | null {
  const query = `up{job="rate-limiter",instance="${instance}"} == 0`;
  const raised = core.intake.raise({
    actor: "supervisor",
    fingerprint: fingerprints.crashLoop(instance),
    whileOpen: { event: "still_firing", data },
    linkRecurrence: true,
    observation: {
      rule_kind: "invariant",
      rule: "ServiceCrashLoop",
      query,
      value: (data.restarts as number | undefined) ?? null,
      labels: { instance },
      data,
    },
    ticket: {
      title: `Instance ${instance} is crash-looping`,
      objective: `${instance} keeps exiting (last exit code ${data.code ?? "?"}). Find the cause (a bad config or commit) and get it serving again.`,
      success_criteria: [{ name: "instance up", query, comparator: "empty", for_seconds: 30 }],
      context: {
        rule: { kind: "invariant", name: "ServiceCrashLoop", query },
        observation: { ...data },
        criteria_before: [{ query, comparator: "empty", value: 1 }],
      },
      source: "invariant",
      source_ref: "supervisor",
      priority: "P1",
    },
  });
  return raised.ticket?.id ?? null;
}
