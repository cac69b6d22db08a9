import { z } from "zod";
import { fingerprints, type TicketDraft } from "../tickets/intake";
import type { Priority } from "../tickets/model";

// Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
const Alert = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const AlertmanagerPayload = z.object({
  version: z.literal("4"),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().optional(),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string(),
  groupLabels: z.record(z.string(), z.string()).default({}),
  commonLabels: z.record(z.string(), z.string()).default({}),
  commonAnnotations: z.record(z.string(), z.string()).default({}),
  externalURL: z.string().optional(),
  alerts: z.array(Alert).min(1),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayload>;

const severityPriority: Record<string, Priority> = {
  critical: "P1",
  page: "P1",
  error: "P2",
  high: "P2",
  warning: "P3",
  info: "P4",
};

export const alertmanagerFingerprint = (p: AlertmanagerPayload) => fingerprints.alertGroup(p.groupKey);

/** Pure mapping: one ticket per alert group, its priority from the group's severity label. */
export function ticketFromAlertGroup(p: AlertmanagerPayload): TicketDraft {
  const name = p.commonLabels.alertname ?? p.groupLabels.alertname ?? "alert group";
  const firing = p.alerts.filter((a) => a.status === "firing");
  const summary = p.commonAnnotations.summary ?? p.commonAnnotations.description ?? "";
  return {
    title: `Alertmanager: ${name} firing (${firing.length} alert${firing.length === 1 ? "" : "s"})`,
    objective: `${summary ? `${summary}. ` : ""}Resolve the conditions behind the ${name} alerts of group ${p.groupKey}.`,
    source: "webhook",
    source_ref: `alertmanager:${p.receiver}`,
    priority: severityPriority[p.commonLabels.severity ?? ""] ?? "P3",
    context: {
      group_key: p.groupKey,
      common_labels: p.commonLabels,
      common_annotations: p.commonAnnotations,
      alerts: p.alerts.slice(0, 50).map((a) => ({
        status: a.status,
        labels: a.labels,
        startsAt: a.startsAt,
        fingerprint: a.fingerprint ?? null,
        generatorURL: a.generatorURL ?? null,
      })),
      external_url: p.externalURL ?? null,
    },
  };
}
