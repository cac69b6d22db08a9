import type { MetricValueWithName, Registry } from "prom-client";

interface Child {
  labels: Record<string, string>;
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram for the hot path. prom-client's Histogram hashes the label set on every observe, even through
 * a `labels()` child; here a child is resolved once and observing is a bucket search and three additions.
 * It registers with a prom-client Registry and renders exactly like prom-client's own histogram.
 */
export class FastHistogram {
  private readonly children = new Map<string, Child>();
  private readonly bounds: number[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    // prom-client's Registry only needs name, get() and (for reset) reset().
    registry.registerMetric(this as never);
  }

  /** The child for one label set; keep it to observe without any lookup. */
  labels(labels: Record<string, string> = {}): { observe(seconds: number): void } {
    const key = this.labelNames.map((n) => labels[n] ?? "").join("\u0000");
    let child = this.children.get(key);
    if (!child) {
      child = { labels: { ...labels }, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.children.set(key, child);
    }
    const c = child;
    const bounds = this.bounds;
    return {
      observe(v: number) {
        if (!Number.isFinite(v)) return;
        for (let i = 0; i < bounds.length; i++) {
          if (v <= (bounds[i] as number)) {
            c.counts[i] = (c.counts[i] as number) + 1;
            break;
          }
        }
        c.sum += v;
        c.count++;
      },
    };
  }

  observe(v: number): void {
    this.labels().observe(v);
  }

  reset(): void {
    this.children.clear();
  }

  /** The shape prom-client's Registry renders (`le` first, as its Histogram does). */
  async get(): Promise<object> {
    const values: MetricValueWithName<string>[] = [];
    for (const c of this.children.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += c.counts[i] as number;
        values.push({ labels: { le, ...c.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...c.labels }, value: c.count, metricName: `${this.name}_bucket` });
      values.push({ labels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: c.labels, value: c.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }
}
