import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../lib/clock";
import { git } from "../workspace/git";
import { slowCommitAnchor, slowCommitLine } from "./bad-deploy";
import type { AppliedFault, FaultContext, FaultOf } from "./fault";

/**
 * `slow_commit`: out of band, as a rushed hotfix would be: a commit on main without a ticket, then a
 * restart. The wait sits inside the request handler, where the service's own latency histogram sees it.
 */
export async function commitSlowdown({ h }: FaultContext, f: FaultOf<"slow_commit">): Promise<AppliedFault> {
  const onset = systemClock.now();
  const workspace = join(h.dataDir, "workspace", "rate-limiter");
  const server = join(workspace, "src", "server.ts");
  const text = existsSync(server) ? readFileSync(server, "utf8") : "";
  if (!text.includes(slowCommitAnchor))
    throw new Error("slow_commit needs the bundled rate limiter's src/server.ts (request handler not found)");
  writeFileSync(server, text.replace(slowCommitAnchor, slowCommitLine(f.delay_ms)));
  git(workspace, ["commit", "-q", "-am", "Hotfix: wait a little on every request"]);
  await h.api("/api/v1/service/restart", { method: "POST" });
  return { onset };
}
