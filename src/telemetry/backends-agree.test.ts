import { afterAll, expect, test } from "bun:test";
import { systemClock } from "../lib/clock";
import { waitFor } from "../testing/ports";
import { prometheusBinary, startPrometheus } from "../testing/prometheus-server";
import { createScraper } from "./metrics/scraper";
import { MetricStore } from "./metrics/store";
import { createPrometheusBackend } from "./prometheus-backend";
import { instantQuery } from "./promql/promql";
import type { QueryResult } from "./types";

const stops: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
});

const labelSets = (r: QueryResult) =>
  r.resultType === "vector"
    ? r.result
        .map((s) =>
          JSON.stringify(
            Object.entries(s.labels)
              .filter(([k]) => k !== "__name__")
              .sort(),
          ),
        )
        .sort()
    : [];

test.skipIf(!prometheusBinary)(
  "the same invariant gives the same answer on a real Prometheus and on the embedded store",
  async () => {
    const exporter = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(
          '# TYPE queue_length gauge\nqueue_length{queue="a"} 3\nqueue_length{queue="b"} 42\nqueue_length{queue="c"} 17\n',
        ),
    });
    stops.push(() => exporter.stop(true));
    const prom = await startPrometheus([{ job: "demo", address: `127.0.0.1:${exporter.port}` }]);
    stops.push(() => prom.stop());
    const remote = createPrometheusBackend({ url: prom.url, retries: 0 });
    const store = new MetricStore(":memory:");
    const target = {
      job: "demo",
      instance: `127.0.0.1:${exporter.port}`,
      url: `http://127.0.0.1:${exporter.port}/metrics`,
    };
    const scraper = createScraper({
      store,
      fetch,
      clock: systemClock,
      targets: () => [target],
      timeoutMs: 2000,
    });
    await scraper.scrapeOnce(target, Date.now());
    await waitFor(
      "prometheus scraped",
      async () => {
        const r = await remote.instantQuery('up{job="demo"}', Date.now());
        return r.resultType === "vector" && r.result.length === 1;
      },
      20_000,
      200,
    );
    for (const rule of [
      "queue_length > 10",
      'max by (queue) (queue_length{job="demo"}) > 10',
      "count(queue_length) > 2",
      'up{job="demo"} == 0',
    ]) {
      const now = Date.now();
      const [a, b] = [await remote.instantQuery(rule, now), instantQuery(store, rule, now)];
      expect([rule, labelSets(b)]).toEqual([rule, labelSets(a)]);
    }
  },
  40_000,
);
