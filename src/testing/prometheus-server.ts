import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./ports";

export const prometheusBinary =
  ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].find((p) => existsSync(p)) ?? null;

export interface ScrapeTarget {
  job: string;
  address: string;
}

/** Starts a real Prometheus (Debian package) on a free loopback port, scraping the given targets. */
export async function startPrometheus(targets: ScrapeTarget[], scrapeInterval = "1s") {
  if (!prometheusBinary) throw new Error("prometheus is not installed (apt-get install prometheus)");
  const dir = mkdtempSync(join(tmpdir(), "harness-prom-"));
  const port = await freePort();
  const jobs = targets
    .map(
      (t) =>
        `  - job_name: ${JSON.stringify(t.job)}\n    static_configs:\n      - targets: [${JSON.stringify(t.address)}]`,
    )
    .join("\n");
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global:\n  scrape_interval: ${scrapeInterval}\n  evaluation_interval: ${scrapeInterval}\nscrape_configs:\n${jobs}\n`,
  );
  const proc = Bun.spawn(
    [
      prometheusBinary,
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
      "--web.enable-admin-api",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor("prometheus ready", async () => (await fetch(`${url}/-/ready`)).ok, 20_000, 100);
  return {
    url,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
