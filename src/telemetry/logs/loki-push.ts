import { z } from "zod";
import type { Labels } from "../types";
import type { LogEntryInput } from "./store";

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const pushSchema = z.object({
  streams: z.array(
    z.object({
      stream: z.record(z.string().regex(labelName), z.string()),
      // The optional third element is structured metadata; accepted and ignored.
      values: z.array(
        z.tuple(
          [z.string().regex(/^\d+$/, "timestamp must be integer nanoseconds"), z.string()],
          z.unknown(),
        ),
      ),
    }),
  ),
});

export interface PushStream {
  labels: Labels;
  entries: { t: number; line: string }[];
}

export const msToNs = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();
export const nsToMs = (ns: string): number => Number(BigInt(ns) / 1_000_000n);

/** The JSON body of Loki's `POST /loki/api/v1/push`. */
export function encodeLokiPush(streams: PushStream[]): string {
  return JSON.stringify({
    streams: streams.map((s) => ({ stream: s.labels, values: s.entries.map((e) => [msToNs(e.t), e.line]) })),
  });
}

/** Parses and validates a JSON push body (text or already parsed); throws with a readable message. */
export function decodeLokiPush(body: unknown): LogEntryInput[] {
  const raw = typeof body === "string" ? (JSON.parse(body) as unknown) : body;
  const parsed = pushSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `invalid push body at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const out: LogEntryInput[] = [];
  for (const s of parsed.data.streams) {
    if (Object.keys(s.stream).length === 0)
      throw new Error("invalid push body: a stream needs at least one label");
    for (const [ns, line] of s.values) out.push({ labels: s.stream, t: nsToMs(ns), line });
  }
  return out;
}
