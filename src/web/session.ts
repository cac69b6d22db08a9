import { createHmac, randomBytes } from "node:crypto";
import { tokensEqual } from "../api/auth";
import { memoryRevocations, type RevocationStore } from "./revocations";

export const SESSION_COOKIE = "harness_session";
export const SESSION_TTL_MS = 12 * 3_600_000;

const sign = (secret: string, text: string) => createHmac("sha256", secret).update(text).digest("base64url");

/** `<expiry ms>.<random nonce>.<HMAC>`: the nonce keeps two logins in the same millisecond apart. */
const sessionShape = /^(\d{1,16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * Signed sessions: the cookie is an expiry and a nonce signed with the API token, so sessions survive restarts
 * and all die when the token changes. A logout is remembered in `revocations` (the shared database in the app)
 * until the session would have expired. The CSRF token is derived from the session, so it dies with it.
 */
export function createSessions(
  token: string,
  now: () => number,
  revocations: RevocationStore = memoryRevocations(),
) {
  /** The session's expiry if `value` is one we signed, else null. */
  const verify = (value: string): number | null => {
    const m = sessionShape.exec(value);
    if (!m) return null;
    const [, expires, nonce, mac] = m as unknown as [string, string, string, string];
    return tokensEqual(mac, sign(token, `session:${expires}.${nonce}`)) ? Number(expires) : null;
  };
  return {
    issue(): { cookie: string; value: string } {
      const expires = now() + SESSION_TTL_MS;
      const nonce = randomBytes(16).toString("base64url");
      const value = `${expires}.${nonce}.${sign(token, `session:${expires}.${nonce}`)}`;
      return {
        value,
        cookie: `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}`,
      };
    },
    clearCookie: `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
    /** The session value if the request carries a valid, unexpired, not logged-out one. */
    read(cookieHeader: string | null): string | null {
      const m = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]+)`).exec(cookieHeader ?? "");
      const value = m?.[1];
      if (!value) return null;
      const expires = verify(value);
      if (expires === null || expires < now()) return null;
      // Only a session we signed reaches the store: forged cookies cost no database read.
      return revocations.isRevoked(value) ? null : value;
    },
    /** Logs `session` out everywhere: `read` refuses it (and so its CSRF token) from now on. */
    revoke(session: string): void {
      const expires = verify(session);
      if (expires !== null) revocations.revoke(session, expires, now());
    },
    csrfFor(session: string): string {
      return sign(token, `csrf:${session}`);
    },
    checkLogin(given: string): boolean {
      return tokensEqual(given, token);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
