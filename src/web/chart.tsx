/** @jsxImportSource @kitajs/html */
import type { Series } from "../telemetry/types";

const fmtTime = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const fmtNum = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0)
    ? v.toExponential(2)
    : String(Math.round(v * 1000) / 1000);

/** A server-side SVG line chart: no client library needed, works offline and in any browser. */
export function LineChart(props: { series: Series[]; title: string; unit?: string; marker?: number }) {
  const w = 800;
  const h = 220;
  const pad = { l: 60, r: 10, t: 10, b: 30 };
  const points = props.series.flatMap((s) => s.samples).filter((p) => Number.isFinite(p.v));
  if (points.length === 0) return <p class="muted">No data to chart.</p>;
  const t0 = Math.min(...points.map((p) => p.t));
  const t1 = Math.max(...points.map((p) => p.t));
  let v0 = Math.min(...points.map((p) => p.v));
  let v1 = Math.max(...points.map((p) => p.v));
  if (v0 === v1) {
    v0 -= 1;
    v1 += 1;
  }
  const x = (t: number) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (w - pad.l - pad.r);
  const y = (v: number) => h - pad.b - ((v - v0) / (v1 - v0)) * (h - pad.t - pad.b);
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={props.title}>
      <line
        class="axis"
        x1={String(pad.l)}
        y1={String(h - pad.b)}
        x2={String(w - pad.r)}
        y2={String(h - pad.b)}
      />
      <line class="axis" x1={String(pad.l)} y1={String(pad.t)} x2={String(pad.l)} y2={String(h - pad.b)} />
      <text x="4" y={String(pad.t + 10)} safe>{`${fmtNum(v1)}${props.unit ?? ""}`}</text>
      <text x="4" y={String(h - pad.b)} safe>{`${fmtNum(v0)}${props.unit ?? ""}`}</text>
      <text x={String(pad.l)} y={String(h - 8)} safe>{`${fmtTime(t0)} UTC`}</text>
      <text x={String(w - pad.r - 70)} y={String(h - 8)} safe>{`${fmtTime(t1)} UTC`}</text>
      {props.marker !== undefined && props.marker >= t0 && props.marker <= t1 ? (
        <line
          class="marker"
          x1={x(props.marker).toFixed(1)}
          y1={String(pad.t)}
          x2={x(props.marker).toFixed(1)}
          y2={String(h - pad.b)}
        >
          <title safe>{`observed ${new Date(props.marker).toISOString()}`}</title>
        </line>
      ) : (
        ""
      )}
      {props.series.map((s) => (
        <polyline
          class="line"
          points={s.samples
            .filter((p) => Number.isFinite(p.v))
            .map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
            .join(" ")}
        />
      ))}
    </svg>
  );
}
