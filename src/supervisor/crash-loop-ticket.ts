import type { Core } from "../core";
import { fingerprints } from "../tickets/intake";

/** A crash-looping instance is a problem like any other: one ticket with an observation, de-duplicated. */
export function openCrashLoopTicket(
  core: Core,
  instance: string,
  data: Record<string, unknown>,
): number | null {
  // "Scraped and up", not "no series down": a crash-looping instance is never scraped, so it has no `up`
  // at all, and a check for the absence of `up == 0` would call it healthy.
  const query = `up{job="rate-limiter",instance="${instance}"} == 1`;
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
      success_criteria: [{ name: "instance up", query, comparator: "nonempty", for_seconds: 30 }],
      context: {
        rule: { kind: "invariant", name: "ServiceCrashLoop", query },
        observation: { ...data },
        criteria_before: [{ query, comparator: "nonempty", value: 0 }],
      },
      source: "invariant",
      source_ref: "supervisor",
      priority: "P1",
    },
  });
  return raised.ticket?.id ?? null;
}
