/** @jsxImportSource @kitajs/html */
import { Elysia } from "elysia";
import { parseDuration } from "../lib/parse";
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

/** What the agent saw, checked by a person: the same backend the monitor and agent query. */
export function explorePages(deps: DashboardDeps) {
  return new Elysia().get("/explore", async ({ query, request }) => {
    const q = (query as Record<string, string | undefined>).query ?? "";
    const rangeText = (query as Record<string, string | undefined>).range ?? "1h";
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
      </Layout>
    );
  });
}
