import type { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type LoadedConfig, loadConfig } from "../config";
import { type Core, createCore } from "../core";
import { openDatabase } from "../db/open";
import { systemClock } from "../lib/clock";
import type { CliIO } from "./io";

/** CLI commands work on the same SQLite store as the running roles. */
export function openCoreFromFlags(
  io: CliIO,
  values: { "data-dir"?: string | undefined; config?: string | undefined },
): { config: LoadedConfig; core: Core; db: Database } {
  const config = loadConfig({
    file: values.config,
    env: io.env,
    flags: { dataDir: values["data-dir"] },
    cwd: io.cwd,
  });
  mkdirSync(config.dataDir, { recursive: true });
  // The database itself is handed out only for `harness audit`, which checks the storage beneath the repositories.
  const db = openDatabase(join(config.dataDir, "harness.db"));
  const core = createCore(db, systemClock, [config.token]);
  return { config, core, db };
}
