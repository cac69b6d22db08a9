import type { Labels } from "../types";
import { ExpositionError, parseExposition } from "./exposition";
import { decodeRemoteWrite } from "./remote-write";
import type { AppendSample } from "./store";

/** What the handlers need from the store; MetricStore satisfies it. */
export interface SampleSink {
  append(batch: AppendSample[]): void;
}

export const MAX_BODY_BYTES = 32 * 1024 * 1024;
// A timestamp this far ahead is a unit mistake (µs or ns), not a clock skew.
const MAX_FUTURE_MS = 60 * 60 * 1000;

const text = (status: number, message: string) =>
  new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

async function readBody(req: Request): Promise<Uint8Array | Response> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return text(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  const body = new Uint8Array(await req.arrayBuffer());
  if (body.length > MAX_BODY_BYTES) return text(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  return body;
}

function checkTimestamps(samples: AppendSample[], nowMs: number): string | null {
  for (const s of samples) {
    if (!Number.isSafeInteger(s.t)) return `invalid timestamp ${s.t}`;
    if (s.t > nowMs + MAX_FUTURE_MS)
      return `sample timestamp ${s.t} is more than 1h in the future (expects ms)`;
  }
  return null;
}

function store(sink: SampleSink, samples: AppendSample[]): Response {
  try {
    sink.append(samples);
  } catch (err) {
    return text(500, `storing samples failed: ${(err as Error).message}`);
  }
  return new Response(null, { status: 204 });
}

/** Prometheus remote write 1.0 receiver: snappy-compressed protobuf WriteRequest → 204. */
export async function handleRemoteWrite(req: Request, sink: SampleSink, nowMs: number): Promise<Response> {
  const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
  if (encoding !== "snappy") return text(415, `Content-Encoding must be snappy, got "${encoding}"`);
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const [mediaType, ...params] = type.split(";").map((p) => p.trim());
  if (mediaType !== "application/x-protobuf") {
    return text(415, `Content-Type must be application/x-protobuf, got "${type}"`);
  }
  const proto = params.find((p) => p.startsWith("proto="))?.slice(6);
  if (proto !== undefined && proto !== "prometheus.writerequest") {
    return text(415, `only remote write 1.0 (prometheus.WriteRequest) is accepted, got proto=${proto}`);
  }
  const body = await readBody(req);
  if (body instanceof Response) return body;
  let samples: AppendSample[];
  try {
    samples = decodeRemoteWrite(body);
  } catch (err) {
    // Decoding is pure, so any failure (SnappyError, ProtobufError, bad UTF-8) is the client's input.
    return text(400, `invalid remote write body: ${(err as Error).message}`);
  }
  const bad = checkTimestamps(samples, nowMs);
  if (bad) return text(400, bad);
  return store(sink, samples);
}

/** `extra_label=name=value` query args, as VictoriaMetrics accepts them on import endpoints. */
function extraLabels(url: string): Labels | string {
  const out: Labels = {};
  for (const raw of new URL(url).searchParams.getAll("extra_label")) {
    const eq = raw.indexOf("=");
    if (eq <= 0) return `extra_label must be name=value, got "${raw}"`;
    out[raw.slice(0, eq)] = raw.slice(eq + 1);
  }
  return out;
}

/**
 * VictoriaMetrics-style `/api/v1/import/prometheus`: the text format with optional millisecond
 * timestamps; lines without one are stamped nowMs. Gzip bodies are accepted as VM does.
 */
export async function handleImportPrometheus(
  req: Request,
  sink: SampleSink,
  nowMs: number,
): Promise<Response> {
  const extra = extraLabels(req.url);
  if (typeof extra === "string") return text(400, extra);
  const raw = await readBody(req);
  if (raw instanceof Response) return raw;
  let body: string;
  try {
    const gz = (req.headers.get("content-encoding") ?? "").toLowerCase() === "gzip";
    body = new TextDecoder("utf-8", { fatal: true }).decode(
      gz ? Bun.gunzipSync(raw as Uint8Array<ArrayBuffer>) : raw,
    );
  } catch (err) {
    return text(400, `unreadable body: ${(err as Error).message}`);
  }
  let samples: AppendSample[];
  try {
    samples = parseExposition(body).map((p) => ({
      labels: { ...p.labels, ...extra },
      t: p.timestampMs ?? nowMs,
      v: p.value,
    }));
  } catch (err) {
    if (err instanceof ExpositionError) return text(400, err.message);
    throw err;
  }
  const bad = checkTimestamps(samples, nowMs);
  if (bad) return text(400, bad);
  return store(sink, samples);
}
