import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import { commitForTicket, git } from "../workspace/git";
import { ticketWorktree } from "../workspace/worktree";
import type { HarnessHandle } from "./harness-handle";
import type { ScenarioScore } from "./scoring";

/**
 * Prepended to the service's entry point: every request answers `delayMs` later. It wraps Bun.serve and
 * Bun.listen from the outside (each connection's bytes arrive late, in order), so the fault needs no code
 * path of the service's own — the kind of regression a real change brings — whichever one the service uses.
 */
export const slowServe = (delayMs: number) => `// lab: bad deploy — every request is ${delayMs} ms slower
const realServe = Bun.serve;
(Bun as unknown as { serve: typeof Bun.serve }).serve = ((o: Parameters<typeof Bun.serve>[0]) =>
  realServe({ ...o, fetch: async (req: Request, srv: unknown) => { await Bun.sleep(${delayMs}); return (o as { fetch: (r: Request, s: unknown) => Response | Promise<Response> }).fetch(req, srv); } } as Parameters<typeof Bun.serve>[0])) as typeof Bun.serve;
const realListen = Bun.listen;
(Bun as unknown as { listen: unknown }).listen = (o: { socket: { data?: (s: unknown, d: unknown) => void } }) =>
  realListen({ ...o, socket: { ...o.socket, data: (s: unknown, d: unknown) => setTimeout(() => o.socket.data?.(s, d), ${delayMs}) } } as unknown as Parameters<typeof Bun.listen>[0]);
`;

/**
 * Where the latency-regression scenario's "hotfix" goes: the first lines of the function the service's
 * listener calls for every request, after its clock starts, so the service's own latency histogram sees it.
 */
export const slowCommitAnchor =
  "  function handleWire(r: HttpRequest): HttpResponse | Promise<HttpResponse> {\n    const started = performance.now();\n";
export const slowCommitLine = (delayMs: number) =>
  `  async function handleWire(r: HttpRequest): Promise<HttpResponse> {\n    const started = performance.now();\n    await Bun.sleep(${delayMs}); // hotfix: give the store time to settle\n`;

type Deploy = { id: number; ticket_id: number; status: string; stage: string; reason: string | null };
type Ticket = { id: number; status: string };
type Event = { kind: string; actor: string };

/**
 * A person ships a change that makes every request slower, through the deploy API: the pipeline must stop
 * it on its own (canary or watch) and leave the running version serving. Detected = rolled back by the
 * pipeline; resolved = the service ready on the version main names.
 */
export async function runBadDeploy(
  h: HarnessHandle,
  delayMs: number,
  limits: { detectMs: number; resolveMs: number },
  score: ScenarioScore,
): Promise<ScenarioScore> {
  const workspace = join(h.dataDir, "workspace", "rate-limiter");
  const mainBefore = git(workspace, ["rev-parse", "--short=12", "main"]).stdout.trim();
  const ticket = (
    await h.api<Ticket>("/api/v1/tickets", {
      method: "POST",
      body: {
        title: "Ship a latency regression (lab: bad deploy)",
        objective: "Deploy the change on this branch",
        priority: "P4",
      },
    })
  ).data;
  const dir = ticketWorktree(workspace, ticket.id);
  const entry = join(dir, "src", "main.ts");
  if (!existsSync(entry)) throw new Error(`no service entry point at ${entry}`);
  writeFileSync(entry, `${slowServe(delayMs)}\n${readFileSync(entry, "utf8")}`);
  commitForTicket(dir, ticket.id, ["src/main.ts"], "Every request waits a little (lab: bad deploy)");
  const started = systemClock.now();
  const res = await h.api<{ status: string }>(`/api/v1/tickets/${ticket.id}/deploy`, { method: "POST" });
  if (res.status !== "success") throw new Error(`the deploy API refused: ${JSON.stringify(res)}`);
  score.ticket_id = ticket.id;
  let deploy: Deploy | undefined;
  while (systemClock.now() - started < limits.detectMs + limits.resolveMs) {
    deploy = (await h.api<Deploy[]>("/api/v1/deploys?limit=20")).data.find((d) => d.ticket_id === ticket.id);
    if (deploy && deploy.status !== "running") break;
    await Bun.sleep(250);
  }
  if (!deploy || deploy.status === "running") return score;
  score.detected = deploy.status === "rolled_back";
  if (!score.detected) return score;
  score.time_to_detect_ms = systemClock.now() - started;
  const ready = (await h.api<{ state: string; version: string | null }[]>("/api/v1/service")).data;
  const mainAfter = git(workspace, ["rev-parse", "--short=12", "main"]).stdout.trim();
  score.resolved =
    mainAfter === mainBefore &&
    ready.length > 0 &&
    ready.every((i) => i.state === "ready" && i.version === mainBefore);
  if (score.resolved) score.time_to_resolve_ms = systemClock.now() - started;
  // Nobody acted after the request: everything after it came from the pipeline.
  const events = (await h.api<Event[]>(`/api/v1/tickets/${ticket.id}/events`)).data;
  const after = events.slice(events.findIndex((e) => e.kind === "deploy_requested") + 1);
  score.human_interventions = after.filter((e) => /^(cli|api|dashboard)/.test(e.actor)).length;
  score.actions_rolled_back = after.filter((e) => e.kind === "rollback").length;
  return score;
}

export const badDeployLimits = (detect: string, resolve: string) => ({
  detectMs: parseDuration(detect),
  resolveMs: parseDuration(resolve),
});
