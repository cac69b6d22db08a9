import { AppError } from "../../lib/errors";
import type { Labels } from "../types";
import { normalizeLabels } from "./labels";
import {
  INGEST_LIMITS,
  type IngestLimits,
  labelNameTooLong,
  labelValueTooLong,
  tooManyLabels,
  tooManySamples,
  tooManySeries,
} from "./limits";
import { ProtobufError, ProtoReader, ProtoWriter, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "./protobuf";
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

/** Counts what one request has decoded so far, to stop at the first limit it breaks. */
interface Budget {
  limits: IngestLimits;
  series: number;
  samples: number;
}

const overLimit = (message: string) => new AppError("invalid", message);

/**
 * Decodes a WriteRequest, refusing (an `invalid` AppError naming the limit) the first label, series or sample
 * past `limits` as it goes: a hostile request never gets to build more than the limits allow.
 */
export function decodeWriteRequest(buf: Uint8Array, limits: IngestLimits = INGEST_LIMITS): AppendSample[] {
  const out: AppendSample[] = [];
  const budget: Budget = { limits, series: 0, samples: 0 };
  const r = new ProtoReader(buf);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_LEN) {
      if (++budget.series > limits.maxSeriesPerRequest) throw overLimit(tooManySeries(limits));
      const [s, e] = r.lengthDelimited();
      decodeTimeSeries(new ProtoReader(buf, s, e), out, budget);
    } else r.skip(wire);
  }
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();

function decodeString(buf: Uint8Array, [s, e]: [number, number]): string {
  try {
    return utf8.decode(buf.subarray(s, e));
  } catch {
    throw new ProtobufError("string is not valid UTF-8");
  }
}

/** One Label message; the lengths are checked on the wire, before a string is decoded. */
function decodeLabel(r: ProtoReader, limits: IngestLimits): [string, string] {
  let name: [number, number] = [0, 0];
  let value: [number, number] = [0, 0];
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1 && t.wire === WIRE_LEN) name = r.lengthDelimited();
    else if (t.field === 2 && t.wire === WIRE_LEN) value = r.lengthDelimited();
    else r.skip(t.wire);
  }
  const nameBytes = name[1] - name[0];
  if (nameBytes === 0) throw new Error("remote write: label with an empty name");
  if (nameBytes > limits.maxLabelNameLength)
    throw overLimit(labelNameTooLong(lenient.decode(r.buf.subarray(name[0], name[0] + 65)), limits));
  const labelName = decodeString(r.buf, name);
  if (value[1] - value[0] > limits.maxLabelValueLength) throw overLimit(labelValueTooLong(labelName, limits));
  return [labelName, decodeString(r.buf, value)];
}

function decodeTimeSeries(r: ProtoReader, out: AppendSample[], budget: Budget): void {
  const { limits } = budget;
  const labels: Labels = {};
  const samples: StoredSample[] = [];
  let labelCount = 0;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_LEN) {
      if (++labelCount > limits.maxLabelsPerSeries) throw overLimit(tooManyLabels(labels.__name__, limits));
      const [s, e] = r.lengthDelimited();
      const [name, value] = decodeLabel(new ProtoReader(r.buf, s, e), limits);
      labels[name] = value;
    } else if (field === 2 && wire === WIRE_LEN) {
      if (++budget.samples > limits.maxSamplesPerRequest) throw overLimit(tooManySamples(limits));
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
export function decodeRemoteWrite(body: Uint8Array, limits: IngestLimits = INGEST_LIMITS): AppendSample[] {
  return decodeWriteRequest(snappyDecompress(body, limits.maxDecodedBytes), limits);
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
