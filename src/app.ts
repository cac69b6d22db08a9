import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { ClaudeBrain } from "./agent/brains/claude";
import { brainBanner, brainDegradation, brainReport, createBrainHealth } from "./agent/brains/health";
import { RunbookBrain } from "./agent/brains/runbook";
import { loadPolicy } from "./agent/policy";
import type { Brain } from "./agent/types";
import { createAgent } from "./agent/worker";
import { deployRoutes } from "./api/deploys";
import { createApi } from "./api/server";
import { serviceRoutes } from "./api/service";
import { sloStatusRoutes } from "./api/slo-status";
import { trajectoryRoutes } from "./api/trajectories";
import { webhookRoutes } from "./api/webhooks";
import type { LoadedConfig } from "./config";
import { createCore } from "./core";
import { openDatabase } from "./db/open";
import { createPipeline, reapInterruptedCanary, recoverInterruptedDeploys } from "./deploy/pipeline";
import { type Clock, systemClock } from "./lib/clock";
import { invalid } from "./lib/errors";
import type { Logger } from "./lib/log";
import { resolveToken } from "./lib/token";
import { createMonitor } from "./monitor/monitor";
import { createNotifier } from "./notify/notifier";
import { notifySecrets, notifyTargets, publicUrl } from "./notify/targets";
import { seedDefaultRules } from "./rules/defaults";
import { applyRules, parseRuleFile } from "./rules/rule-files";
import { Sandbox } from "./sandbox/sandbox";
import { openCrashLoopTicket } from "./supervisor/crash-loop-ticket";
import { createSupervisor, type Supervisor } from "./supervisor/supervisor";
import { createTelemetry } from "./telemetry/embedded";
import { promRuleGroups } from "./telemetry/prom-rules";
import { setRegexLimit } from "./telemetry/query-limits";
import { createRemoteTelemetry, remoteSecrets } from "./telemetry/remote";
import { selfMetricsRoutes } from "./telemetry/self-metrics";
import { sqliteRevocations } from "./web/revocations";
import { dashboardRoutes } from "./web/routes";
import { createSessions } from "./web/session";
import { git, revisionAt } from "./workspace/git";
import { ensureWorkspace, LIMITS_FILE } from "./workspace/workspace";

export type Role = "web" | "monitor" | "agent" | "supervisor";

export interface AppOptions {
  config: LoadedConfig;
  roles: Role[];
  log: Logger;
  clock?: Clock;
  env?: Record<string, string | undefined>;
}

/** Wires every subsystem in one place; each role can run alone, coupled to the others only through SQLite. */
export async function startApp(opts: AppOptions) {
  const { config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const has = (r: Role) => opts.roles.includes(r);
  const sandbox = new Sandbox({
    mode: config.sandbox.mode,
    limits: {
      wallMs: config.sandbox.wall,
      cpuMs: config.sandbox.cpu,
      memoryBytes: config.sandbox.memory_mb * 1024 * 1024,
    },
    envAllow: config.sandbox.env,
  });
  if (has("agent") || has("supervisor")) {
    const sb = sandbox.status();
    if (sb.confined) log("sandbox", { confined: true, via: "bubblewrap" });
    else if (config.sandbox.mode === "required")
      throw invalid(`sandbox.mode is required, but the sandbox is unavailable: ${sb.reason}`);
    else {
      log("sandbox", { confined: false, reason: sb.reason });
      process.stderr.write(
        `harness: tests and deploy checks run without a sandbox (${sb.reason}): they still get no secrets, their own process group and time, CPU and memory limits, but they can read and write the harness user's files and reach the network; install bubblewrap (docs/security.md)\n`,
      );
    }
  }

  // Only the monitor role tells people, so split roles send each message once. Read before anything starts:
  // a secret that is not set stops start-up with a sentence naming it.
  const notifyTo = has("monitor") ? notifyTargets(config.notify, opts.env ?? {}) : [];

  mkdirSync(config.dataDir, { recursive: true });
  const tokenInfo = resolveToken(config.dataDir, config.token);
  if (tokenInfo.generated) {
    log("generated API token", { path: tokenInfo.path });
    process.stderr.write(`harness: API token (also saved in ${tokenInfo.path}): ${tokenInfo.token}\n`);
  }
  const db = openDatabase(join(config.dataDir, "harness.db"));
  const core = createCore(db, clock, [
    tokenInfo.token,
    opts.env?.ANTHROPIC_API_KEY,
    config.webhooks.hmac_secret,
    ...remoteSecrets(config, opts.env ?? {}),
    ...notifySecrets(config.notify, opts.env ?? {}),
  ]);
  if (
    config.monitor.default_rules &&
    core.rules.listInvariants().length === 0 &&
    core.tickets.list({ limit: 1 }).total === 0
  ) {
    seedDefaultRules(core);
  }

  if (config.monitor.rule_files.length > 0) {
    const base = config.configFile ? dirname(config.configFile) : process.cwd();
    const files = config.monitor.rule_files.map((f) => (isAbsolute(f) ? f : join(base, f)));
    const changes = applyRules(
      core,
      files.map((f) => {
        if (!existsSync(f)) throw invalid(`monitor.rule_files: ${f} does not exist`);
        return parseRuleFile(readFileSync(f, "utf8"), f);
      }),
      { prune: config.monitor.prune_rules },
    );
    const changed = changes.filter((c) => c.action !== "unchanged");
    log("rule files applied", { files, changed: changed.map((c) => `${c.action} ${c.kind} ${c.name}`) });
  }

  const remote = createRemoteTelemetry(config, opts.env ?? {}, log, clock);
  const q = config.query;
  setRegexLimit(q.max_regex_length);
  const telemetry = createTelemetry({
    query: {
      limits: {
        timeoutMs: q.timeout,
        maxSamples: q.max_samples,
        maxPoints: q.max_points,
        maxLengthMs: q.max_length,
        maxRegexLength: q.max_regex_length,
        logs: {
          maxEntries: q.logs.max_entries,
          maxSeries: q.logs.max_series,
          maxLengthMs: q.logs.max_length,
        },
      },
      maxConcurrency: q.max_concurrency,
      maxQueued: q.max_queued,
    },
    dataDir: config.dataDir,
    clock,
    log,
    onSamples: remote.samples ? (b) => remote.samples?.enqueue(b) : undefined,
    onLines: remote.lines ? (l) => remote.lines?.enqueue(l) : undefined,
    redact: (line) => core.redactor.text(line),
    // metricsBackend is chosen below (remote or this embedded store); rules are listed only when asked.
    rules: promRuleGroups({ core, metrics: () => metricsBackend, intervalMs: config.monitor.interval }),
  });
  const metricsBackend = remote.metrics ?? telemetry.metrics;
  const logsBackend = remote.logs ?? telemetry.logsBackend;
  const roleState: Record<string, string> = {};

  let supervisor: Supervisor | null = null;
  let workspaceDir: string | null = null;
  if (has("supervisor") && config.service.enabled) {
    const ws = ensureWorkspace(join(config.dataDir, "workspace", "rate-limiter"), {
      repo: config.service.repo,
    });
    log("service workspace", { dir: ws.dir, created: ws.created, commit: ws.commit });
    workspaceDir = ws.dir;
    supervisor = createSupervisor({
      workspaceDir: ws.dir,
      stateDir: config.dataDir,
      instances: config.service.instances,
      basePort: config.service.port,
      configPath: config.service.config ?? join(ws.dir, LIMITS_FILE),
      version: () => git(ws.dir, ["rev-parse", "--short=12", "HEAD"]).stdout.trim() || ws.commit,
      clock,
      onLine: (instance, stream, line) =>
        telemetry.appendLog(
          { service: config.service.name, instance, version: ws.commit ?? "unknown", stream },
          line,
        ),
      onEvent: (instance, event, data) => {
        log(`service ${event}`, { instance, ...data });
        if (event === "crash_loop") openCrashLoopTicket(core, instance, data);
      },
    });
    await supervisor.start();
    roleState.supervisor = "running";
  }

  const interrupted = recoverInterruptedDeploys(core);
  if (workspaceDir) {
    const canary = await reapInterruptedCanary(config.dataDir, workspaceDir);
    if (canary !== null) log("stopped a canary left by an interrupted deploy", { pid: canary });
  }
  if (interrupted.length) log("deploys interrupted by a restart marked failed", { deploys: interrupted });
  const pipeline =
    supervisor && workspaceDir
      ? createPipeline({
          core,
          supervisor,
          workspaceDir,
          canaryMs: config.deploy.canary,
          watchMs: config.deploy.watch,
          metrics: metricsBackend,
          budgetFloor: config.deploy.budget_floor,
          stateDir: config.dataDir,
          sandbox,
          testCommand: config.service.test_command,
          log,
        })
      : null;
  const apiKey = opts.env?.ANTHROPIC_API_KEY;
  const claude =
    config.agent.brain === "claude" || (config.agent.brain === "auto" && apiKey)
      ? new ClaudeBrain({
          apiKey: apiKey ?? "",
          model: config.agent.model,
          ...(opts.env?.ANTHROPIC_BASE_URL ? { baseURL: opts.env.ANTHROPIC_BASE_URL } : {}),
          redact: (s) => core.redactor.text(s),
          clock,
        })
      : null;
  const brain: Brain = claude ?? new RunbookBrain();
  // Probed where tickets are taken by it (agent) or it is reported (web); each process probes on its own.
  const brainHealth =
    claude && (has("agent") || has("web"))
      ? createBrainHealth({
          probe: () => claude.probe(),
          clock,
          onChange: (now) =>
            now.status === "up"
              ? log("brain up", { brain: brain.name, model: brain.model })
              : log("brain down", {
                  brain: brain.name,
                  reason: now.reason,
                  kind: now.kind,
                  fallback: config.agent.fallback,
                  next_probe_at: now.nextProbeAt,
                }),
        })
      : null;
  const describeBrain = () => brainReport(brain, brainHealth?.state() ?? null, config.agent.fallback);
  const monitor = has("monitor")
    ? createMonitor({
        core,
        metrics: metricsBackend,
        logs: logsBackend,
        intervalMs: config.monitor.interval,
        verificationTimeoutMs: config.monitor.verification_timeout,
        maxAttempts: config.monitor.max_attempts,
        log,
        ...(workspaceDir ? { revisionAt: (at: number) => revisionAt(workspaceDir as string, at) } : {}),
      })
    : null;
  const notifier =
    notifyTo.length > 0
      ? createNotifier({
          core,
          targets: notifyTo,
          publicUrl: publicUrl(config),
          retries: config.notify.retries,
          timeoutMs: config.notify.timeout,
          maxAgeMs: config.notify.max_age,
          log,
        })
      : null;
  const agent = has("agent")
    ? createAgent({
        core,
        brain,
        health: brainHealth,
        fallback: claude && config.agent.fallback === "runbook" ? new RunbookBrain() : null,
        metrics: metricsBackend,
        supervisor,
        workers: config.agent.workers,
        leaseMs: config.agent.lease,
        pollMs: config.agent.poll,
        maxSteps: config.agent.max_steps,
        maxAttempts: config.monitor.max_attempts,
        budget: {
          maxTokens: config.agent.max_tokens,
          maxCostUsd: config.agent.max_cost_usd,
          maxWallMs: config.agent.max_wall,
        },
        policy: loadPolicy(config.agent.policy),
        workspaceDir,
        pipeline,
        logs: logsBackend,
        sandbox,
        testCommand: config.service.test_command,
        log,
      })
    : null;

  let server: ReturnType<typeof Bun.serve> | null = null;
  const health = () => {
    const ok = Object.values(roleState).every((s) => s === "running");
    const b = describeBrain();
    // Degraded still serves (HTTP 200): a restart cannot fix a bad key or an outage upstream.
    const reasons = [brainDegradation(b)].filter((r): r is string => r !== null);
    return {
      ok,
      status: !ok ? "down" : reasons.length > 0 ? "degraded" : "ok",
      reasons,
      roles: { ...roleState },
      // Which brain works the tickets here, and whether it answers: the lab scores runs per brain.
      brain: b,
      // The monitor's cycles (bench:query-load reads their lateness from here).
      monitor: monitor?.status() ?? null,
      // Whether the service's tests and checks are confined (docs/security.md), and why not.
      sandbox: { confined: sandbox.status().confined, reason: sandbox.status().reason },
    };
  };
  if (has("web")) {
    const api = createApi({
      core,
      token: tokenInfo.token,
      health,
      selfAuthenticated: ["/api/v1/webhooks/"],
      plugins: [
        webhookRoutes(core, { token: tokenInfo.token, hmacSecret: config.webhooks.hmac_secret }),
        telemetry.routes,
        selfMetricsRoutes(
          core,
          () => roleState,
          remote.stats,
          () => telemetry.pool.stats(),
          describeBrain,
        ),
        serviceRoutes(() => supervisor),
        deployRoutes(core, () => pipeline),
        sloStatusRoutes(core, metricsBackend),
        trajectoryRoutes(core),
        dashboardRoutes({
          core,
          banner: () => {
            const b = brainBanner(describeBrain());
            return {
              brain: b.brain,
              ...(b.warning ? { brainWarning: b.warning } : {}),
              metrics: remote.metricsLabel,
              logs: remote.logsLabel,
            };
          },
          instances: () => supervisor?.status() ?? [],
          sessions: createSessions(tokenInfo.token, () => clock.now(), sqliteRevocations(db)),
          clientAddress: (req) => server?.requestIP(req)?.address,
          metrics: metricsBackend,
          logs: logsBackend,
        }),
      ],
    });
    server = Bun.serve({
      hostname: config.server.host,
      port: config.server.port,
      fetch: (req) => api.handle(req),
      // A backstop only: every route that reads a body caps it lower and says which limit (ingest 32 MiB).
      maxRequestBodySize: 40 * 1024 * 1024,
      idleTimeout: 120,
    });
    roleState.web = "running";
    log("web listening", { url: `http://${config.server.host}:${server.port}` });
  }

  const selfTarget = server
    ? [{ job: "harness", instance: "harness", url: `http://${config.server.host}:${server.port}/metrics` }]
    : [];
  if (has("monitor") || has("supervisor")) {
    telemetry.startScraping(
      () => [...(supervisor?.targets() ?? []), ...selfTarget],
      config.scrape.interval,
      config.scrape.timeout,
    );
  }
  remote.start();
  if (monitor) {
    monitor.start();
    roleState.monitor = "running";
  }
  if (notifier) {
    notifier.start();
    log("notifications", { targets: notifyTo.map((t) => `${t.channel}:${t.name}`) });
  }
  // Not awaited: an unreachable API takes the probe's whole timeout, and until it answers no ticket is claimed.
  void brainHealth?.check();
  if (agent) {
    agent.start();
    roleState.agent = "running";
  }

  let stopped = false;
  return {
    core,
    telemetry,
    supervisor,
    monitor,
    agent,
    notifier,
    token: tokenInfo.token,
    port: server?.port ?? null,
    health,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      supervisor?.beginShutdown();
      await agent?.stop();
      brainHealth?.stop();
      await monitor?.stop();
      await notifier?.stop();
      await telemetry.stopScraping();
      await supervisor?.stop();
      await server?.stop(true);
      telemetry.close();
      // After close: the last log lines were flushed into the queue.
      await remote.stop();
      db.close();
    },
  };
}

export type RunningApp = Awaited<ReturnType<typeof startApp>>;
