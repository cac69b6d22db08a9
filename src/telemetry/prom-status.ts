import { harnessVersion } from "../version";

/**
 * The Prometheus HTTP API version these routes follow: 2.42, the version the tests run promtool and Prometheus
 * from (Debian's). Grafana reads `version` to choose API features (e.g. `match[]` on `/labels`, since 2.24).
 * It says which API to expect, not which engine answers: PromQL here is Harness's own.
 */
export const PROMETHEUS_API_VERSION = "2.42.0";

/**
 * `GET /api/v1/status/buildinfo` in Prometheus's shape. No `features` field: Grafana takes a buildinfo with
 * `features` for Mimir and looks for a ruler API that Harness does not have. What was built is Harness, so
 * `revision` and `branch` say so instead of pretending to be a Prometheus commit.
 */
export function buildInfo() {
  return {
    version: PROMETHEUS_API_VERSION,
    revision: `harness-${harnessVersion}`,
    branch: "harness",
    buildUser: "harness",
    buildDate: "",
    goVersion: `bun ${Bun.version}`,
    harness: harnessVersion,
  };
}
