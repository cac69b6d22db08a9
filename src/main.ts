#!/usr/bin/env bun
import { processIO } from "./cli/io";
import { runCli } from "./cli/run";

const argv = process.argv.slice(2);
const code = await runCli(argv, processIO());
// Long-running roles may leave timers of libraries behind after a graceful stop; exit explicitly.
if (["up", "web", "monitor", "agent"].includes(argv[0] ?? "")) process.exit(code);
process.exitCode = code;
