import type { Labels } from "../types";
import { normalizeLabels } from "./labels";
import { ProtoReader, ProtoWriter, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "./protobuf";
import { snappyCompress, snappyDecompress } from "./snappy";
import { readDoubleLE, type StoredSample, writeDoubleLE } from "./stale";
import type { AppendSample } from "./store";

/**
 * Prometheus remote write 1.0 (prometheus.WriteRequest), snappy block compressed:
 *   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; exemplars = 3; histograms = 4; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 * Fields Harness does not use (metadata, exemplars, native histograms) are skipped.
 */

export interface RemoteSeries {
  labels: Labels;
  samples: StoredSample[];
}

export function decodeWriteRequest(buf: Uint8Array): AppendSample[] {
  const out: AppendSample[] = [];
  const r = new ProtoReader(buf);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_LEN) {
      const [s, e] = r.lengthDelimited();
      decodeTimeSeries(new ProtoReader(buf, s, e), out);
    } else r.skip(wire);
  }
  return out;
}

function decodeTimeSeries(r: ProtoReader, out: AppendSample[]): void {
  const labels: Labels = {};
  const samples: StoredSample[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_LEN) {
      const [s, e] = r.lengthDelimited();
      const lr = new ProtoReader(r.buf, s, e);
      let name = "";
      let value = "";
      while (!lr.done()) {
        const t = lr.tag();
        if (t.field === 1 && t.wire === WIRE_LEN) name = lr.string();
        else if (t.field === 2 && t.wire === WIRE_LEN) value = lr.string();
        else lr.skip(t.wire);
      }
      if (name === "") throw new Error("remote write: label with an empty name");
      labels[name] = value;
    } else if (field === 2 && wire === WIRE_LEN) {
      const [s, e] = r.lengthDelimited();
      const sr = new ProtoReader(r.buf, s, e);
      // Proto3 defaults: an absent field is zero.
      let sample: StoredSample = { t: 0, v: 0 };
      let t = 0;
      while (!sr.done()) {
        const tg = sr.tag();
        if (tg.field === 1 && tg.wire === WIRE_FIXED64) {
          const d = readDoubleLE(sr.view, sr.fixed64Offset());
          sample = d.stale ? { t: 0, v: Number.NaN, stale: true } : { t: 0, v: d.v };
        } else if (tg.field === 2 && tg.wire === WIRE_VARINT) t = sr.int64();
        else sr.skip(tg.wire);
      }
      sample.t = t;
      samples.push(sample);
    } else r.skip(wire);
  }
  for (const s of samples)
    out.push(s.stale ? { labels, t: s.t, v: s.v, stale: true } : { labels, t: s.t, v: s.v });
}

/** Snappy-compressed WriteRequest body, as a remote-write receiver expects it. */
export function decodeRemoteWrite(body: Uint8Array): AppendSample[] {
  return decodeWriteRequest(snappyDecompress(body));
}

export function encodeWriteRequest(series: RemoteSeries[]): Uint8Array {
  const w = new ProtoWriter();
  for (const s of series) {
    const ts = new ProtoWriter();
    // Remote write requires labels sorted by name.
    for (const [name, value] of Object.entries(normalizeLabels(s.labels))) {
      const l = new ProtoWriter();
      l.string(1, name);
      l.string(2, value);
      ts.bytes(1, l.finish());
    }
    for (const sample of s.samples) {
      const sw = new ProtoWriter();
      sw.fixed64(1, (view, at) => writeDoubleLE(view, at, sample.v, sample.stale === true));
      sw.tag(2, WIRE_VARINT);
      sw.int64(sample.t);
      ts.bytes(2, sw.finish());
    }
    w.bytes(1, ts.finish());
  }
  return w.finish();
}

export function encodeRemoteWrite(series: RemoteSeries[]): Uint8Array {
  return snappyCompress(encodeWriteRequest(series));
}

/** Groups flat samples by label set (first-seen order), the shape encodeRemoteWrite takes. */
export function groupSamples(samples: AppendSample[]): RemoteSeries[] {
  const bySet = new Map<string, RemoteSeries>();
  for (const s of samples) {
    const labels = normalizeLabels(s.labels);
    const key = JSON.stringify(labels);
    let g = bySet.get(key);
    if (g === undefined) {
      g = { labels, samples: [] };
      bySet.set(key, g);
    }
    g.samples.push(s.stale ? { t: s.t, v: s.v, stale: true } : { t: s.t, v: s.v });
  }
  return [...bySet.values()];
}
