import type { Registry } from "prom-client";

/**
 * A counter for the hot path. prom-client's Counter hashes the label set on every `inc`, even through a
 * `labels()` child; here a child is resolved once and counting is one addition. It registers with a
 * prom-client Registry and renders exactly like prom-client's own counter.
 */
export class FastCounter {
  private readonly children = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The child for one label set; keep it to count without any lookup. */
  labels(labels: Record<string, string> = {}): { inc(by?: number): void } {
    const key = this.labelNames.map((n) => labels[n] ?? "").join("\u0000");
    let child = this.children.get(key);
    if (!child) {
      child = { labels: { ...labels }, value: 0 };
      this.children.set(key, child);
    }
    const c = child;
    return {
      inc(by = 1) {
        if (by > 0) c.value += by;
      },
    };
  }

  reset(): void {
    this.children.clear();
  }

  /** The shape prom-client's Registry renders. */
  async get(): Promise<object> {
    const values = [...this.children.values()].map((c) => ({ labels: c.labels, value: c.value }));
    return { name: this.name, help: this.help, type: "counter", values, aggregator: "sum" };
  }
}
