/** @jsxImportSource @kitajs/html */
import type { Slo } from "../rules/model";
import { evaluateSlo } from "../slo/evaluate";
import { errorRatioQuery } from "../slo/math";
import type { MetricsBackend } from "../telemetry/types";
import { LineChart } from "./chart";

const pct = (v: number | null) => (v === null ? "—" : `${(100 * v).toFixed(2)}%`);
const fx = (v: number | null) => (v === null ? "—" : `${v.toFixed(2)}×`);
const span = (ms: number) =>
  ms >= 86_400_000 ? `${ms / 86_400_000}d` : ms >= 3_600_000 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;

/** Budget, burn per alert window and a 7-day chart of the error ratio, per SLO. */
export async function SloPanels(props: { slos: Slo[]; metrics: MetricsBackend | null; now: number }) {
  if (props.slos.length === 0) return <p class="muted">No SLOs.</p>;
  if (!props.metrics) return <p class="muted">No metrics backend in this process.</p>;
  const metrics = props.metrics;
  const panels = await Promise.all(
    props.slos.map(async (slo) => {
      const ev = await evaluateSlo(metrics, slo, props.now);
      const chart = await metrics
        .rangeQuery(errorRatioQuery(slo.sli, 3_600_000), props.now - 7 * 86_400_000, props.now, 3_600_000)
        .catch(() => null);
      return (
        <div class="slo" id={`slo-panel-${slo.id}`}>
          <h3 safe>{`${slo.name} — ${slo.objective}% over ${slo.window}`}</h3>
          <p>
            budget remaining <strong safe>{pct(ev.status.remaining)}</strong> · error ratio{" "}
            <span safe>{pct(ev.status.error_ratio)}</span>
            {ev.status.exhaustion_ms !== null ? (
              <span
                safe
              >{` · exhausted in ${(ev.status.exhaustion_ms / 3_600_000).toFixed(1)} h at the 1h rate`}</span>
            ) : (
              ""
            )}
          </p>
          <table>
            <thead>
              <tr>
                <th>Windows</th>
                <th>Threshold</th>
                <th>Long burn</th>
                <th>Short burn</th>
                <th>Firing</th>
              </tr>
            </thead>
            <tbody>
              {ev.windows.map((w) => (
                <tr>
                  <td safe>{`${span(w.window.long_ms)} / ${span(w.window.short_ms)}`}</td>
                  <td safe>{`${w.window.factor}× (${w.window.priority})`}</td>
                  <td safe>{fx(w.long)}</td>
                  <td safe>{fx(w.short)}</td>
                  <td>{w.firing ? "yes" : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {chart && chart.resultType === "matrix" ? (
            <LineChart series={chart.result} title={`${slo.name} error ratio, 7 days (1h windows, UTC)`} />
          ) : (
            ""
          )}
        </div>
      );
    }),
  );
  return <>{panels}</>;
}
