import { createHmac } from "node:crypto";
import { tokensEqual } from "../api/auth";

export const SESSION_COOKIE = "harness_session";
const sessionTtlMs = 12 * 3_600_000;

const sign = (secret: string, text: string) => createHmac("sha256", secret).update(text).digest("base64url");

/**
 * Stateless sessions: the cookie is an expiry signed with the API token, so sessions survive restarts
 * and all die when the token changes. The CSRF token is derived from the session.
 */
export function createSessions(token: string, now: () => number) {
  return {
    issue(): { cookie: string; value: string } {
      const expires = now() + sessionTtlMs;
      const value = `${expires}.${sign(token, `session:${expires}`)}`;
      return {
        value,
        cookie: `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${sessionTtlMs / 1000}`,
      };
    },
    clearCookie: `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
    /** The session value if the request carries a valid, unexpired one. */
    read(cookieHeader: string | null): string | null {
      const m = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]+)`).exec(cookieHeader ?? "");
      const value = m?.[1];
      if (!value) return null;
      const [expires, mac] = value.split(".");
      if (!expires || !mac || Number(expires) < now()) return null;
      return tokensEqual(mac, sign(token, `session:${expires}`)) ? value : null;
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
