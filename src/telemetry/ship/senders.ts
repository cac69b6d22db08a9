import { encodeLokiPush, type PushStream } from "../logs/loki-push";
import { fingerprint } from "../metrics/labels";
import { encodeRemoteWrite, groupSamples } from "../metrics/remote-write";
import type { AppendSample } from "../metrics/store";
import { authHeaders, baseUrl, type RemoteOptions, retryable } from "../remote-http";
import type { LogLine } from "../types";
import { ShipError } from "./shipper";

async function post(opts: RemoteOptions, url: string, body: BodyInit, headers: Record<string, string>) {
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: "POST",
      headers: { ...headers, ...authHeaders(opts.auth) },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new ShipError(`cannot reach ${url}: ${(err as Error).message}`, true);
  }
  if (res.ok) return;
  const text = (await res.text().catch(() => "")).trim().split("\n")[0] ?? "";
  throw new ShipError(`HTTP ${res.status} from ${url}${text ? `: ${text}` : ""}`, retryable(res.status));
}

/** Prometheus remote write 1.0: a snappy-compressed protobuf WriteRequest, to the full push URL. */
export function remoteWriteSender(opts: RemoteOptions) {
  return (batch: AppendSample[]) =>
    post(opts, opts.url, encodeRemoteWrite(groupSamples(batch)) as Uint8Array<ArrayBuffer>, {
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
      "user-agent": "harness",
    });
}

/** Loki's push API (JSON), to `<url>/loki/api/v1/push` unless the URL already names the endpoint. */
export function lokiPushSender(opts: RemoteOptions) {
  const base = baseUrl(opts.url);
  const url = base.endsWith("/loki/api/v1/push") ? base : `${base}/loki/api/v1/push`;
  return (batch: LogLine[]) => {
    const streams = new Map<string, PushStream>();
    for (const l of batch) {
      const key = fingerprint(l.labels);
      let s = streams.get(key);
      if (!s) {
        s = { labels: l.labels, entries: [] };
        streams.set(key, s);
      }
      s.entries.push({ t: l.t, line: l.line });
    }
    return post(opts, url, encodeLokiPush([...streams.values()]), { "content-type": "application/json" });
  };
}
