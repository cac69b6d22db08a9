import type { Clock } from "../lib/clock";
import { retryableStatus } from "./decide";

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** One attempt's outcome, as the delivery log keeps it. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  retryable: boolean;
  duration_ms: number;
}

export interface SendDeps {
  clock: Clock;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** A receiver's answer is quoted in the log, this long at most. */
const QUOTE_MAX = 200;

/**
 * POSTs once, bounded by `timeoutMs` on the clock (body included). Never throws: every failure is a result.
 * Error texts never carry the URL, which for Slack is itself the secret.
 */
export async function send(req: HttpRequest, deps: SendDeps): Promise<SendResult> {
  const started = deps.clock.now();
  const abort = new AbortController();
  const timer = deps.clock.setTimeout(() => abort.abort(), deps.timeoutMs);
  const done = (status: number | null, error: string | null): SendResult => ({
    ok: error === null,
    status,
    error: error === null ? null : error.split(req.url).join("<url>"),
    retryable: error !== null && retryableStatus(status),
    duration_ms: deps.clock.now() - started,
  });
  try {
    const res = await (deps.fetch ?? fetch)(req.url, {
      method: "POST",
      headers: req.headers,
      body: req.body,
      signal: abort.signal,
      redirect: "manual",
    });
    const text = (await headOf(res)).replace(/\s+/g, " ").trim().slice(0, QUOTE_MAX);
    if (res.status >= 200 && res.status < 300) return done(res.status, null);
    return done(res.status, `HTTP ${res.status}${text ? `: ${text}` : ""}`);
  } catch (err) {
    const why = abort.signal.aborted ? `no answer within ${deps.timeoutMs} ms` : (err as Error).message;
    return done(null, `cannot reach the receiver: ${why}`);
  } finally {
    deps.clock.clearTimeout(timer);
  }
}

/** The first few KiB of an answer; the rest is never read, so a receiver that answers without end costs little. */
async function headOf(res: Response, max = 4_096): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  reader.cancel().catch(() => {});
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}
