import type { Slo } from "../rules/model";
import { errorBudget, errorRatioQuery, windowed } from "../slo/math";
import type { HarnessHandle } from "./harness-handle";

/** One charted series of a scenario run: what the report draws, as [unix ms, value] points. */
export interface RunSeries {
  title: string;
  query: string;
  points: [number, number][];
}

type Matrix = {
  resultType: string;
  result: { metric: Record<string, string>; values: [number, string][] }[];
};
type Vector = { resultType: string; result: { value: [number, string] }[] };

async function range(
  h: HarnessHandle,
  query: string,
  start: number,
  end: number,
): Promise<[number, number][]> {
  // Fine enough (about 300 points) that a fault lasting seconds still shows.
  const step = Math.max(1, Math.round((end - start) / 1000 / 300));
  const q = new URLSearchParams({
    query,
    start: String(start / 1000),
    end: String(end / 1000),
    step: String(step),
  });
  const r = await h.api<Matrix>(`/api/v1/query_range?${q}`).catch(() => null);
  const first = r?.data?.result?.[0];
  // NaN (a ratio over no traffic) has no place on a chart, and JSON would write it as null.
  return first
    ? first.values
        .map(([t, v]) => [t * 1000, Number(v)] as [number, number])
        .filter(([, v]) => Number.isFinite(v))
    : [];
}

async function instant(h: HarnessHandle, query: string, at: number): Promise<number | null> {
  const q = new URLSearchParams({ query, time: String(at / 1000) });
  const r = await h.api<Vector>(`/api/v1/query?${q}`).catch(() => null);
  const v = r?.data?.result?.[0]?.value?.[1];
  return v === undefined || !Number.isFinite(Number(v)) ? null : Number(v);
}

/**
 * The curves the report shows for one scenario window: instances up, request and denial rates, and each
 * SLO's burn rate over 5 minutes (1 = spending the budget exactly as fast as the window allows).
 */
export async function collectSeries(h: HarnessHandle, start: number, end: number): Promise<RunSeries[]> {
  const slos = ((await h.api<Slo[]>("/api/v1/slos").catch(() => null))?.data ?? []).filter((s) => s.enabled);
  const wanted: [string, string][] = [
    ["instances up", 'sum(up{job="rate-limiter"})'],
    ["checks per second", "sum(rate(ratelimiter_requests_total[1m]))"],
    [
      "denied share",
      'sum(rate(ratelimiter_requests_total{decision="denied"}[1m])) / sum(rate(ratelimiter_requests_total[1m]))',
    ],
    ...slos.map(
      (s) =>
        [`SLO ${s.name} burn (5m)`, `(${errorRatioQuery(s.sli, 300_000)}) / ${errorBudget(s.objective)}`] as [
          string,
          string,
        ],
    ),
  ];
  return Promise.all(
    wanted.map(async ([title, query]) => ({ title, query, points: await range(h, query, start, end) })),
  );
}

/**
 * Share of each SLO's whole error budget (over its window) spent during the scenario: errors in the scenario
 * window over the errors the budget allows in the SLO window. Null without SLOs or data.
 */
export async function budgetSpent(h: HarnessHandle, start: number, end: number): Promise<number | null> {
  const slos = ((await h.api<Slo[]>("/api/v1/slos").catch(() => null))?.data ?? []).filter((s) => s.enabled);
  let worst: number | null = null;
  for (const s of slos) {
    const w = Math.max(60_000, end - start);
    const errors = `(${errorRatioQuery(s.sli, w)}) * (${windowed(s.sli.total, w)})`;
    const allowed = `(${windowed(s.sli.total, s.window_ms)}) * ${errorBudget(s.objective)}`;
    const v = await instant(h, `(${errors}) / (${allowed})`, end);
    if (v !== null) worst = Math.max(worst ?? 0, v);
  }
  return worst;
}
