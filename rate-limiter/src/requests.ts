import { z } from "zod";

/** Request bodies and their validation: everything that turns client input into a 4xx. */

const maxBody = 64 * 1024;

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
