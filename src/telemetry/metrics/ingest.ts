import { gunzipCapped, readBodyCapped } from "../../lib/bounded-body";
import { AppError, httpStatus, toAppError } from "../../lib/errors";
import type { Labels } from "../types";
import { ExpositionError, parseExposition } from "./exposition";
import { INGEST_LIMITS, type IngestLimits, labelsViolation } from "./limits";
import { decodeRemoteWrite } from "./remote-write";
import { snappyDecodedLength } from "./snappy";
import type { AppendSample } from "./store";

/** What the handlers need from the store; MetricStore satisfies it. */
export interface SampleSink {
  append(batch: AppendSample[]): void;
}

// A timestamp this far ahead is a unit mistake (µs or ns), not a clock skew.
const MAX_FUTURE_MS = 60 * 60 * 1000;

const text = (status: number, message: string) =>
  new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * A refused body: our own errors keep their status (413 past a size, 400 past a limit, both naming it); any
 * other failure while decoding (snappy, protobuf, UTF-8) is the client's malformed input.
 */
function refuse(err: unknown, what: string): Response {
  if (err instanceof AppError) return text(httpStatus[err.code], err.message);
  if (err instanceof ExpositionError) return text(400, err.message);
  return text(400, `invalid ${what}: ${(err as Error).message}`);
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
    // A busy database is a 503 the sender retries; never a 4xx, which remote write senders drop.
    const e = toAppError(err);
    return text(httpStatus[e.code], `storing samples failed: ${e.message}`);
  }
  return new Response(null, { status: 204 });
}

/** Prometheus remote write 1.0 receiver: snappy-compressed protobuf WriteRequest → 204. */
export async function handleRemoteWrite(
  req: Request,
  sink: SampleSink,
  nowMs: number,
  limits: IngestLimits = INGEST_LIMITS,
): Promise<Response> {
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
  let samples: AppendSample[];
  try {
    const body = await readBodyCapped(req, limits.maxCompressedBytes, "remote write body");
    // The block's header says how large it inflates: a bomb is refused before anything is allocated.
    const decoded = snappyDecodedLength(body);
    if (decoded > limits.maxDecodedBytes) {
      throw new AppError(
        "too_large",
        `remote write body inflates to ${decoded} bytes, over the limit of ${limits.maxDecodedBytes}`,
      );
    }
    samples = decodeRemoteWrite(body, limits);
  } catch (err) {
    return refuse(err, "remote write body");
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
  limits: IngestLimits = INGEST_LIMITS,
): Promise<Response> {
  const extra = extraLabels(req.url);
  if (typeof extra === "string") return text(400, extra);
  const hasExtra = Object.keys(extra).length > 0;
  let samples: AppendSample[];
  try {
    const gz = (req.headers.get("content-encoding") ?? "").toLowerCase() === "gzip";
    const raw = await readBodyCapped(
      req,
      gz ? limits.maxCompressedBytes : limits.maxDecodedBytes,
      "import body",
    );
    const bytes = gz ? await gunzipCapped(raw, limits.maxDecodedBytes, "import body") : raw;
    let body: string;
    try {
      body = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (err) {
      return text(400, `unreadable body: ${(err as Error).message}`);
    }
    samples = parseExposition(body, limits).map((p) => {
      const labels = hasExtra ? { ...p.labels, ...extra } : p.labels;
      const broken = hasExtra ? labelsViolation(labels, limits) : null;
      if (broken) throw new AppError("invalid", `with extra_label: ${broken}`);
      return { labels, t: p.timestampMs ?? nowMs, v: p.value };
    });
  } catch (err) {
    return refuse(err, "import body");
  }
  const bad = checkTimestamps(samples, nowMs);
  if (bad) return text(400, bad);
  return store(sink, samples);
}
