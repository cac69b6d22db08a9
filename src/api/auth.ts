import { timingSafeEqual } from "node:crypto";
import { AppError } from "../lib/errors";

export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Mutating API calls need `Authorization: Bearer <HARNESS_TOKEN>`. */
export function requireBearer(header: string | null | undefined, token: string): void {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!m || !tokensEqual((m[1] as string).trim(), token)) {
    throw new AppError("unauthorized", "this call changes state: send Authorization: Bearer <HARNESS_TOKEN>");
  }
}
