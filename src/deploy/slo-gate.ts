import type { Slo } from "../rules/model";
import { evaluateSlo } from "../slo/evaluate";
import { sampleValue } from "../telemetry/sample-value";
import type { MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";

/** Burn over the last 5 minutes that, reached during a watch, rolls a deploy back: the SRE Workbook's page rate. */
export const watchBurnThreshold = 14.4;

export interface SloHealth {
  id: number;
  name: string;
  /** Share of the error budget left over the SLO's window; null without data. */
  remaining: number | null;
  burn5m: number | null;
}

export async function sloHealth(metrics: MetricsBackend, slos: Slo[], now: number): Promise<SloHealth[]> {
  return Promise.all(
    slos
      .filter((s) => s.enabled)
      .map(async (s) => {
        const ev = await evaluateSlo(metrics, s, now);
        return { id: s.id, name: s.name, remaining: ev.status.remaining, burn5m: ev.burn_5m };
      }),
  );
}

/** Whether a ticket is the fix for an SLO: opened by its burn alert, or a follow-up of such a ticket. */
export function fixesSlo(ticket: Ticket, parent: Ticket | null, slo: SloHealth): boolean {
  const own = (t: Ticket | null) =>
    t !== null &&
    t.source === "slo" &&
    (t.fingerprint === `slo:${slo.name}` || t.source_ref === `slo:${slo.id}`);
  return own(ticket) || own(parent);
}

/**
 * The error budget gates deploys: while an SLO has less than `floor` of its budget left, only fixes for that
 * SLO may deploy (rollbacks never pass through here). Returns why the deploy is refused, or null.
 */
export function budgetGate(
  health: SloHealth[],
  floor: number,
  ticket: Ticket,
  parent: Ticket | null,
): string | null {
  const spent = health.filter((h) => h.remaining !== null && h.remaining < floor);
  const blocking = spent.filter((h) => !fixesSlo(ticket, parent, h));
  if (blocking.length === 0) return null;
  const list = blocking
    .map((h) => `${h.name} (${(100 * (h.remaining as number)).toFixed(1)} % left)`)
    .join(", ");
  return `error budget below the ${(100 * floor).toFixed(0)} % floor for ${list}: only rollbacks and fixes for that SLO may deploy`;
}

/** During a watch: an SLO whose 5-minute burn reached the page rate, having been below it before the deploy. */
export function burnAfterDeploy(before: SloHealth[], now: SloHealth[]): string | null {
  for (const h of now) {
    const was = before.find((b) => b.id === h.id)?.burn5m ?? 0;
    if (h.burn5m !== null && h.burn5m >= watchBurnThreshold && was < watchBurnThreshold)
      return `SLO ${h.name} burns ${h.burn5m.toFixed(1)}× its budget over 5 m after the deploy (was ${was.toFixed(1)}×)`;
  }
  return null;
}

/** The service's golden signals at one moment, as a deploy records them before and after. */
export interface Signals {
  request_rate: number | null;
  error_ratio: number | null;
  p99_seconds: number | null;
}

const signalQueries: Record<keyof Signals, string> = {
  request_rate:
    'sum(rate(ratelimiter_http_request_duration_seconds_count{job="rate-limiter",route="/v1/check"}[1m]))',
  error_ratio:
    'sum(rate(ratelimiter_http_request_duration_seconds_count{job="rate-limiter",code=~"5.."}[1m])) / sum(rate(ratelimiter_http_request_duration_seconds_count{job="rate-limiter"}[1m]))',
  p99_seconds:
    'histogram_quantile(0.99, sum by (le) (rate(ratelimiter_http_request_duration_seconds_bucket{job="rate-limiter",route="/v1/check"}[1m])))',
};

export async function signals(metrics: MetricsBackend, now: number): Promise<Signals> {
  const one = async (q: string) => sampleValue(await metrics.instantQuery(q, now).catch(() => null));
  const [request_rate, error_ratio, p99_seconds] = await Promise.all([
    one(signalQueries.request_rate),
    one(signalQueries.error_ratio),
    one(signalQueries.p99_seconds),
  ]);
  return { request_rate, error_ratio, p99_seconds };
}
