import type { Labels, Matcher, Sample, Series, SeriesQuerier } from "../types";
import { anchoredRegex } from "./functions";

/** Canonical identity of a label set, independent of key order. */
export const fingerprint = (labels: Labels): string =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );

export function matchesLabel(m: Matcher, value: string): boolean {
  switch (m.op) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return anchoredRegex(m.value).test(value);
    case "!~":
      return !anchoredRegex(m.value).test(value);
  }
}

/** An in-memory SeriesQuerier for tests and the conformance runner; samples are kept sorted by time. */
export class MemoryQuerier implements SeriesQuerier {
  protected series = new Map<string, Series>();

  add(labels: Labels, samples: Sample[]): void {
    const key = fingerprint(labels);
    const e = this.series.get(key) ?? { labels, samples: [] };
    // Keep the sample objects themselves: stale markers are registered by identity (see stale.ts).
    e.samples.push(...samples);
    e.samples.sort((a, b) => a.t - b.t);
    this.series.set(key, e);
  }

  clear(): void {
    this.series.clear();
  }

  select(matchers: Matcher[], startMs: number, endMs: number): Series[] {
    const out: Series[] = [];
    for (const s of this.series.values()) {
      if (!matchers.every((m) => matchesLabel(m, s.labels[m.name] ?? ""))) continue;
      const samples = s.samples.filter((x) => x.t >= startMs && x.t <= endMs);
      if (samples.length > 0) out.push({ labels: s.labels, samples });
    }
    return out;
  }
}
