export type Log = (
  level: "debug" | "info" | "warn" | "error",
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** One JSON object per line on stdout, the format log pipelines (and the harness) parse. */
export function createLog(
  instance: string,
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Log {
  return (level, msg, fields = {}) =>
    write(JSON.stringify({ ts: new Date().toISOString(), level, msg, instance, ...fields }));
}
