import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The API token: configured, or generated once and kept (mode 0600) in the data directory. */
export function resolveToken(
  dataDir: string,
  configured: string | undefined,
): { token: string; generated: boolean; path: string } {
  const path = join(dataDir, "token");
  if (configured) return { token: configured, generated: false, path };
  if (existsSync(path)) return { token: readFileSync(path, "utf8").trim(), generated: false, path };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString("hex");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, generated: true, path };
}
