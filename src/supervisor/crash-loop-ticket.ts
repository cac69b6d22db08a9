import type { Core } from "../core";

/** A crash-looping instance is a problem like any other: one ticket with an observation, de-duplicated. */
export function openCrashLoopTicket(
  core: Core,
  instance: string,
  data: Record<string, unknown>,
): number | null {
  const fingerprint = `supervisor:crash_loop:${instance}`;
  const open = core.tickets.findOpenByFingerprint(fingerprint);
  if (open) {
    core.tickets.addEvent(open.id, "still_firing", "supervisor", data);
    return open.id;
  }
  const query = `up{job="rate-limiter",instance="${instance}"} == 0`;
  const observation = core.observations.record({
    rule_kind: "invariant",
    rule: "ServiceCrashLoop",
    query,
    value: (data.restarts as number | undefined) ?? null,
    labels: { instance },
    data,
    observed_at: core.clock.now(),
  });
  const previous = core.tickets.lastByFingerprint(fingerprint);
  return core.tickets.create(
    {
      title: `Instance ${instance} is crash-looping`,
      objective: `${instance} keeps exiting (last exit code ${data.code ?? "?"}). Find the cause (a bad config or commit) and get it serving again.`,
      success_criteria: [{ name: "instance up", query, comparator: "empty", for_seconds: 30 }],
      context: {
        rule: { kind: "invariant", name: "ServiceCrashLoop", query },
        observation: { id: observation.id, ...data },
        criteria_before: [{ query, comparator: "empty", value: 1 }],
      },
      source: "invariant",
      source_ref: "supervisor",
      fingerprint,
      priority: "P1",
      observation_id: observation.id,
      ...(previous ? { parent_id: previous.id } : {}),
    },
    "supervisor",
  ).id;
}
