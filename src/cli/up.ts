import type { Role } from "../app";
import { loadConfig } from "../config";
import { createLogger } from "../lib/log";
import { intFlag, parse } from "./args";
import type { CliIO } from "./io";

const rolesFor: Record<string, Role[]> = {
  up: ["web", "monitor", "agent", "supervisor"],
  web: ["web"],
  monitor: ["monitor"],
  agent: ["agent"],
};

/** Runs one role or all of them until SIGINT/SIGTERM, then shuts down gracefully. */
export async function upCommand(command: string, argv: string[], io: CliIO): Promise<number> {
  const { values } = parse(argv, { port: { type: "string" }, host: { type: "string" } });
  if (values.help) {
    io.out(`usage: harness ${command} [--port P] [--host H] [--data-dir D] [--config FILE]`);
    return 0;
  }
  const config = loadConfig({
    file: values.config,
    env: io.env,
    flags: { port: intFlag(values.port, "port"), dataDir: values["data-dir"], host: values.host },
    cwd: io.cwd,
  });
  const log = createLogger(command);
  // Loaded lazily so quick commands (ticket, slo) do not pay for the whole app.
  const { startApp } = await import("../app");
  const app = await startApp({ config, roles: rolesFor[command] ?? [], log, env: io.env });
  if (app.port !== null)
    io.out(`harness ${command}: dashboard and API on http://${config.server.host}:${app.port}`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log("shutting down", { signal });
      void app.stop().then(resolve);
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });
  return 0;
}
