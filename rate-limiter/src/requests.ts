import { z } from "zod";

/** Request bodies and their validation: everything that turns client input into a 4xx. */

export const maxBody = 64 * 1024;

const Descriptor = z.object({ key: z.string().min(1).max(256), value: z.string().max(1024) });
export const CheckBody = z
  .object({
    key: z.string().min(1).max(1024).optional(),
    domain: z.string().max(256).optional(),
    descriptors: z.array(Descriptor).max(32).optional(),
    hits: z
      .number()
      .int("hits must be a whole number")
      .min(0, "hits must not be negative")
      .max(1_000_000)
      .default(1),
  })
  .refine((b) => b.key !== undefined || (b.descriptors?.length ?? 0) > 0, {
    message: "give a key or descriptors",
  });

/**
 * The common request, `{"key": "...", "hits": n}`, checked by hand: zod costs as much as the decision
 * itself. Anything else (descriptors, domain, bad input) goes through the schema, which owns the messages.
 */
export function checkBody(value: unknown): CheckBody {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    let fields = 0;
    for (const _ in v) fields++;
    const { key, hits } = v;
    const plainHits =
      hits === undefined ||
      (typeof hits === "number" && Number.isInteger(hits) && hits >= 0 && hits <= 1_000_000);
    if (
      typeof key === "string" &&
      key.length > 0 &&
      key.length <= 1024 &&
      plainHits &&
      fields === (hits === undefined ? 1 : 2)
    )
      return { key, hits: (hits as number | undefined) ?? 1 };
  }
  return parse(CheckBody, value);
}
export type CheckBody = z.infer<typeof CheckBody>;

// proto3 JSON: parsers accept the lowerCamelCase or original field name, and uint32 as a number or string.
const Uint32 = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int("hits_addend must be a whole number").min(0).max(1_000_000));
export const EnvoyRequest = z
  .object({
    domain: z.string().min(1),
    descriptors: z.array(z.object({ entries: z.array(Descriptor).min(1) })).min(1),
    hits_addend: Uint32.optional(),
    hitsAddend: Uint32.optional(),
  })
  .transform(({ hitsAddend, hits_addend, ...rest }) => ({
    ...rest,
    // envoyproxy/ratelimit treats an absent or zero hits_addend as 1.
    hits: hits_addend || hitsAddend || 1,
  }));

export const unitSeconds = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;

/** Envoy prints durations as seconds with up to millisecond precision, e.g. "1.5s". */
export function envoyDuration(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")}s`;
}

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function readJson(req: Request): Promise<unknown> {
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > maxBody) throw new BadRequest(`body larger than ${maxBody} bytes`, 413);
  // A declared length within bounds is enforced by the HTTP framing: no need to measure the text.
  if (length > 0) {
    try {
      return await req.json();
    } catch {
      throw new BadRequest("body is not valid JSON");
    }
  }
  const text = await req.text();
  if (text.length > maxBody) throw new BadRequest(`body larger than ${maxBody} bytes`, 413);
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("body is not valid JSON");
  }
}

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BadRequest(`${i?.path.join(".") ? `${i?.path.join(".")}: ` : ""}${i?.message}`);
  }
  return r.data;
}
