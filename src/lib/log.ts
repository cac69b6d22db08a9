export type Logger = (msg: string, data?: Record<string, unknown>) => void;

/** JSON lines on stderr, so stdout stays clean for CLI output and `--json`. */
export function createLogger(
  role: string,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  return (msg, data = {}) => write(JSON.stringify({ ts: new Date().toISOString(), role, msg, ...data }));
}

export const silentLogger: Logger = () => {};
