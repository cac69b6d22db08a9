import type { Matcher, Sample, Series, SeriesQuerier } from "../types";

/** First index in `samples` (sorted by t) whose t is ≥ `t`. */
function lowerBound(samples: Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid] as Sample).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A range query evaluates its expression at every step, and each step selects the same series over a window
 * that has moved by one step. Asking the store each time costs a label match and a B-tree read per series per
 * step; this reads each selector once, over its first window stretched by the whole query span, and answers
 * later windows by binary search. A window outside what was read (an `@` modifier, a subquery) reads afresh.
 */
export class RangeCache implements SeriesQuerier {
  private readonly cache = new Map<string, { start: number; end: number; series: Series[] }>();

  constructor(
    private readonly inner: SeriesQuerier,
    /** How far past the first window later steps reach: the query's end minus its start. */
    private readonly spanMs: number,
  ) {}

  select(matchers: Matcher[], startMs: number, endMs: number): Series[] {
    const key = JSON.stringify(matchers);
    let c = this.cache.get(key);
    if (!c || startMs < c.start || endMs > c.end) {
      const end = endMs + this.spanMs;
      c = { start: startMs, end, series: this.inner.select(matchers, startMs, end) };
      this.cache.set(key, c);
    }
    const out: Series[] = [];
    for (const s of c.series) {
      const from = lowerBound(s.samples, startMs);
      const to = lowerBound(s.samples, endMs + 1);
      if (to > from) out.push({ labels: s.labels, samples: s.samples.slice(from, to) });
    }
    return out;
  }
}
