import type { Clock } from "../../lib/clock";
import type { Labels } from "../types";
import { parseExposition } from "./exposition";
import { fingerprint, type MetricStore, StaleNaN } from "./store";

export interface Target {
  job: string;
  instance: string;
  url: string;
}

/** Pulls the text format from each target on an interval; marks vanished series stale, as Prometheus does. */
export function createScraper(deps: { store: MetricStore; clock: Clock; fetch?: typeof fetch }) {
  const doFetch = deps.fetch ?? fetch;
  const lastSeries = new Map<string, Map<string, Labels>>();
  const busy = new Set<string>();
  let timer: ReturnType<typeof setInterval> | null = null;

  async function scrapeOnce(target: Target, timeoutMs: number): Promise<boolean> {
    const key = `${target.job}|${target.instance}`;
    if (busy.has(key)) return false;
    busy.add(key);
    const started = performance.now();
    const t = deps.clock.now();
    const base = { job: target.job, instance: target.instance };
    let samples: { labels: Labels; t: number; v: number }[] = [];
    let up = 1;
    try {
      const res = await doFetch(target.url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      samples = parseExposition(await res.text()).map((s) => {
        const labels: Labels = { ...s.labels };
        for (const [k, v] of Object.entries(base)) {
          if (labels[k] !== undefined) labels[`exported_${k}`] = labels[k] as string;
          labels[k] = v;
        }
        return { labels, t: s.timestampMs ?? t, v: s.value };
      });
    } catch {
      up = 0;
      samples = [];
    } finally {
      busy.delete(key);
    }
    const seen = new Map(samples.map((s) => [fingerprint(s.labels), s.labels]));
    const stale = [...(lastSeries.get(key) ?? new Map()).entries()]
      .filter(([fp]) => !seen.has(fp))
      .map(([, labels]) => ({ labels, t, v: StaleNaN }));
    lastSeries.set(key, seen);
    const meta = [
      { labels: { __name__: "up", ...base }, t, v: up },
      {
        labels: { __name__: "scrape_duration_seconds", ...base },
        t,
        v: (performance.now() - started) / 1000,
      },
      { labels: { __name__: "scrape_samples_scraped", ...base }, t, v: samples.length },
    ];
    deps.store.append([...samples, ...stale, ...meta]);
    return up === 1;
  }

  return {
    scrapeOnce,
    start(targets: () => Target[], intervalMs: number, timeoutMs: number): void {
      const tick = () => {
        for (const target of targets()) void scrapeOnce(target, Math.min(timeoutMs, intervalMs));
      };
      timer = setInterval(tick, intervalMs);
      tick();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
