import { createHash, timingSafeEqual } from "node:crypto";
import { AppError } from "../lib/errors";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Compares a secret in constant time. Both sides are hashed first so that the time taken does not reveal the
 * expected secret's length either (timingSafeEqual itself needs equal lengths).
 */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Mutating API calls need `Authorization: Bearer <HARNESS_TOKEN>`. */
export function requireBearer(header: string | null | undefined, token: string): void {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!m || !tokensEqual((m[1] as string).trim(), token)) {
    throw new AppError("unauthorized", "this call changes state: send Authorization: Bearer <HARNESS_TOKEN>");
  }
}
