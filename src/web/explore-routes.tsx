/** @jsxImportSource @kitajs/html */
import { Elysia } from "elysia";
import { parseDuration } from "../lib/duration";
import type { QueryResult } from "../telemetry/types";
import { LineChart } from "./chart";
import { type DashboardDeps, viewerOf } from "./context";
import { Layout } from "./layout";

function ResultTable(props: { result: QueryResult }) {
  const r = props.result;
  const rows =
    r.resultType === "vector"
      ? r.result.map((s) => [JSON.stringify(s.labels), String(s.v)])
      : r.resultType === "matrix"
        ? r.result.map((s) => [
            JSON.stringify(s.labels),
            `${s.samples.length} samples, last ${s.samples.at(-1)?.v ?? "—"}`,
          ])
        : [["(scalar)", String(r.result.v)]];
  return (
    <table>
      <thead>
        <tr>
          <th>Series</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([labels, v]) => (
          <tr>
            <td>
              <code safe>{labels}</code>
            </td>
            <td safe>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Matching lines of a LogQL log query (newest first), or the value of a LogQL metric query. */
async function logResults(deps: DashboardDeps, q: string, rangeText: string): Promise<JSX.Element> {
  if (!deps.logs) return <p class="muted">No logs backend in this process.</p>;
  try {
    const range = parseDuration(rangeText);
    const end = deps.core.clock.now();
    const lines = await deps.logs.lines(q, end - range, end, 200).catch(async (err: Error) => {
      // A metric query has no lines: show its value instead.
      if (!/metric query/.test(err.message)) throw err;
      return (await deps.logs?.instantQuery(q, end)) ?? null;
    });
    if (lines === null) return <p class="muted">No result.</p>;
    if (!Array.isArray(lines)) return <ResultTable result={lines} />;
    if (lines.length === 0) return <p class="muted">No matching lines.</p>;
    return (
      <table class="log-lines">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Stream</th>
            <th>Line</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr>
              <td safe>{new Date(l.t).toISOString().slice(0, 23).replace("T", " ")}</td>
              <td>
                <code safe>
                  {Object.entries(l.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}
                </code>
              </td>
              <td>
                {/* A remote Loki holds lines no redactor saw on the way in. */}
                <code safe>{deps.core.redactor.text(l.line)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  } catch (err) {
    return (
      <p class="error" safe>
        {(err as Error).message}
      </p>
    );
  }
}

/** What the agent saw, checked by a person: the same backends the monitor and agent query. */
export function explorePages(deps: DashboardDeps) {
  return new Elysia().get("/explore", async ({ query, request }) => {
    const q = (query as Record<string, string | undefined>).query ?? "";
    const rangeText = (query as Record<string, string | undefined>).range ?? "1h";
    const logq = (query as Record<string, string | undefined>).logql ?? "";
    const logRange = (query as Record<string, string | undefined>).log_range ?? "1h";
    const logBody = logq ? await logResults(deps, logq, logRange) : "";
    let body: JSX.Element | string = "";
    if (q && deps.metrics) {
      try {
        const range = parseDuration(rangeText);
        const end = deps.core.clock.now();
        const step = Math.max(1000, Math.round(range / 200));
        const [instant, matrix] = await Promise.all([
          deps.metrics.instantQuery(q, end),
          deps.metrics.rangeQuery(q, end - range, end, step).catch(() => null),
        ]);
        body = (
          <>
            {matrix && matrix.resultType === "matrix" ? <LineChart series={matrix.result} title={q} /> : ""}
            <ResultTable result={instant} />
          </>
        );
      } catch (err) {
        body = (
          <p class="error" safe>
            {(err as Error).message}
          </p>
        );
      }
    } else if (!deps.metrics) {
      body = <p class="muted">No metrics backend in this process.</p>;
    }
    return (
      <Layout title="Explore" banner={deps.banner()} viewer={viewerOf(deps, request)}>
        <section>
          <h2>PromQL</h2>
          <form method="get" action="/explore" class="filters" id="explore-form">
            <label>
              Query <input name="query" value={q} size="60" />
            </label>
            <label>
              Range <input name="range" value={rangeText} size="5" />
            </label>
            <button type="submit">Run</button>
          </form>
          {body}
        </section>
        <section>
          <h2>LogQL</h2>
          <form method="get" action="/explore" class="filters" id="explore-logs-form">
            <label>
              Query{" "}
              <input name="logql" value={logq} size="60" placeholder='{service="rate-limiter"} |= "error"' />
            </label>
            <label>
              Range <input name="log_range" value={logRange} size="5" />
            </label>
            <button type="submit">Run</button>
          </form>
          {logBody}
        </section>
      </Layout>
    );
  });
}
