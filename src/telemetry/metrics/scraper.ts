import type { Clock, TimerHandle } from "../../lib/clock";
import type { Labels } from "../types";
import { parseExposition } from "./exposition";
import { fingerprint } from "./labels";
import type { AppendSample } from "./store";

export interface Target {
  job: string;
  instance: string;
  url: string;
  /** Extra target labels, attached like job and instance. */
  labels?: Labels;
}

export interface ScrapeResult {
  up: boolean;
  samples: number;
  staleMarkers: number;
  error?: string;
}

export interface ScraperDeps {
  store: { append(batch: AppendSample[]): void };
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** The scrape time of each round, and the timer that starts the rounds. */
  clock: Clock;
  targets: () => Target[];
  intervalMs?: number;
  timeoutMs?: number;
  /** Monotonic milliseconds for scrape_duration_seconds; defaults to performance.now. */
  monotonicMs?: () => number;
}

const ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1";
const REPORT_NAMES = ["up", "scrape_duration_seconds", "scrape_samples_scraped"] as const;

const targetKey = (t: Target) => JSON.stringify([t.job, t.instance, t.url]);

/** Target labels win; a scraped label that collides is kept as exported_<name> (honor_labels: false). */
export function applyTargetLabels(scraped: Labels, targetLabels: Labels): Labels {
  const out: Labels = { ...scraped };
  for (const [k, v] of Object.entries(targetLabels)) {
    const clash = out[k];
    if (clash !== undefined && clash !== "") {
      let name = `exported_${k}`;
      while (out[name] !== undefined) name = `exported_${name}`;
      out[name] = clash;
    }
    out[k] = v;
  }
  return out;
}

const targetLabelsOf = (t: Target): Labels => ({ ...t.labels, job: t.job, instance: t.instance });

/**
 * Pulls the text format from each target and writes it with Prometheus staleness: a series that
 * disappears between scrapes of a target, or all of them when the target fails or goes away,
 * gets a staleness marker at the scrape time.
 */
export function createScraper(deps: ScraperDeps) {
  const intervalMs = deps.intervalMs ?? 15_000;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const mono = deps.monotonicMs ?? (() => performance.now());
  /** Per target: the series written by its last scrape (without report series). */
  const lastSeries = new Map<string, Map<string, Labels>>();
  const known = new Map<string, Target>();
  const inFlight = new Map<string, Promise<ScrapeResult>>();
  let timer: TimerHandle | null = null;

  async function fetchSamples(target: Target, nowMs: number): Promise<AppendSample[]> {
    const res = await deps.fetch(target.url, {
      headers: { accept: ACCEPT },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const tl = targetLabelsOf(target);
    return parseExposition(await res.text()).map((p) => ({
      labels: applyTargetLabels(p.labels, tl),
      t: p.timestampMs ?? nowMs,
      v: p.value,
      // Explicitly timestamped samples are exempt from staleness, as in Prometheus.
      ...(p.timestampMs === undefined ? {} : { explicit: true }),
    }));
  }

  async function scrapeOnce(target: Target, nowMs: number): Promise<ScrapeResult> {
    const key = targetKey(target);
    known.set(key, target);
    const started = mono();
    let samples: (AppendSample & { explicit?: boolean })[] = [];
    let error: string | undefined;
    try {
      samples = await fetchSamples(target, nowMs);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      samples = [];
    }
    const durationS = Math.max(0, (mono() - started) / 1000);
    const seen = new Map<string, Labels>();
    for (const s of samples) if (!s.explicit) seen.set(fingerprint(s.labels), s.labels);
    const stale: AppendSample[] = [];
    for (const [fp, labels] of lastSeries.get(key) ?? []) {
      if (!seen.has(fp)) stale.push({ labels, t: nowMs, v: Number.NaN, stale: true });
    }
    lastSeries.set(key, seen);
    const tl = targetLabelsOf(target);
    const report: AppendSample[] = [
      { labels: { ...tl, __name__: "up" }, t: nowMs, v: error === undefined ? 1 : 0 },
      { labels: { ...tl, __name__: "scrape_duration_seconds" }, t: nowMs, v: durationS },
      { labels: { ...tl, __name__: "scrape_samples_scraped" }, t: nowMs, v: samples.length },
    ];
    const batch = samples.map(({ labels, t, v }) => ({ labels, t, v }));
    deps.store.append([...batch, ...stale, ...report]);
    return error === undefined
      ? { up: true, samples: samples.length, staleMarkers: stale.length }
      : { up: false, samples: 0, staleMarkers: stale.length, error };
  }

  /** Marks every series of a target that is no longer configured stale, report series included. */
  function retire(key: string, nowMs: number): number {
    const target = known.get(key);
    const markers: AppendSample[] = [];
    for (const labels of lastSeries.get(key)?.values() ?? []) {
      markers.push({ labels, t: nowMs, v: Number.NaN, stale: true });
    }
    if (target) {
      const tl = targetLabelsOf(target);
      for (const name of REPORT_NAMES) {
        markers.push({ labels: { ...tl, __name__: name }, t: nowMs, v: Number.NaN, stale: true });
      }
    }
    lastSeries.delete(key);
    known.delete(key);
    deps.store.append(markers);
    return markers.length;
  }

  /**
   * One round: every current target in parallel, skipping any whose previous scrape is still
   * running, and retiring targets that disappeared from the list.
   */
  async function tick(nowMs: number): Promise<void> {
    const current = deps.targets();
    const keys = new Set(current.map(targetKey));
    for (const key of [...known.keys()]) if (!keys.has(key) && !inFlight.has(key)) retire(key, nowMs);
    const runs: Promise<unknown>[] = [];
    for (const target of current) {
      const key = targetKey(target);
      if (inFlight.has(key)) continue;
      const run = scrapeOnce(target, nowMs).finally(() => inFlight.delete(key));
      inFlight.set(key, run);
      runs.push(run);
    }
    await Promise.allSettled(runs);
  }

  return {
    scrapeOnce,
    tick,
    /** Series the next scrape of this target would mark stale if they vanished; for inspection. */
    trackedSeries: (target: Target): Labels[] => [...(lastSeries.get(targetKey(target))?.values() ?? [])],
    start(): void {
      if (timer) return;
      const run = () => {
        void tick(deps.clock.now());
      };
      timer = deps.clock.setInterval(run, intervalMs);
      run();
    },
    /** Stops the timer and waits for scrapes already running. */
    async stop(): Promise<void> {
      deps.clock.clearInterval(timer);
      timer = null;
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

export type Scraper = ReturnType<typeof createScraper>;
