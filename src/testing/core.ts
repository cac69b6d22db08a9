import { createCore } from "../core";
import { openDatabase } from "../db/open";
import { FakeClock } from "../lib/clock";

/** A real core over an in-memory SQLite with the real migrations, driven by a fake clock. */
export function testCore(start = Date.UTC(2026, 0, 1)) {
  const clock = new FakeClock(start);
  const core = createCore(openDatabase(":memory:"), clock, ["test-token-0123456789"]);
  return { clock, core };
}

export const TEST_TOKEN = "test-token-0123456789";
