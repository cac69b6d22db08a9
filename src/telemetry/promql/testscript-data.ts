import { matchesLabel } from "../matchers";
import { type AppendSample, MetricStore } from "../metrics/store";
import type { Labels, Matcher, Series, SeriesQuerier } from "../types";
import { fingerprint } from "./series-util";
import { HIST, type ScriptValue, STALE } from "./testscript-parse";

/**
 * What a test script loaded. The float samples go into a real MetricStore (in memory), so the conformance
 * run exercises the store's selection (its label index, its head, its stale markers) and not a stand-in.
 * Native-histogram points are out of scope: only their times are kept, so that an eval reading one is skipped.
 */
export class ScriptData implements SeriesQuerier {
  private store = new MetricStore(":memory:");
  private histograms = new Map<string, { labels: Labels; times: number[] }>();
  /** Set when a selection covered a native-histogram point since it was last reset. */
  touchedHistogram = false;

  /** `clear`: a fresh store, as promqltest starts a fresh storage. */
  clear(): void {
    this.store.close();
    this.store = new MetricStore(":memory:");
    this.histograms.clear();
  }

  /** One `load` line: the k-th value is at `k × step`. */
  load(labels: Labels, values: ScriptValue[], step: number): void {
    const batch: AppendSample[] = [];
    const histTimes: number[] = [];
    values.forEach((v, k) => {
      if (v === STALE) batch.push({ labels, t: k * step, v: Number.NaN, stale: true });
      else if (v === HIST) histTimes.push(k * step);
      else if (v !== null) batch.push({ labels, t: k * step, v });
    });
    this.store.append(batch);
    if (histTimes.length === 0) return;
    const key = fingerprint(labels);
    const e = this.histograms.get(key) ?? { labels, times: [] };
    e.times.push(...histTimes);
    this.histograms.set(key, e);
  }

  select(matchers: Matcher[], start: number, end: number): Series[] {
    const ok = (labels: Labels) => matchers.every((m) => matchesLabel(m, labels[m.name]));
    for (const h of this.histograms.values())
      if (ok(h.labels) && h.times.some((t) => t >= start && t <= end)) this.touchedHistogram = true;
    return this.store.select(matchers, start, end);
  }

  close(): void {
    this.store.close();
  }
}
