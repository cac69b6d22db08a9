import { createCore } from "../core";
import { openDatabase } from "../db/open";
import { FakeClock } from "../lib/clock";
import { createTicketRepo } from "../tickets/repo";

/**
 * A real core over an in-memory SQLite with the real migrations, driven by a fake clock. `repo` is the ticket
 * repository with its `create`, for tests of the repository itself; everything else opens tickets through
 * the intake (testing/tickets.ts).
 */
export function testCore(start = Date.UTC(2026, 0, 1)) {
  const clock = new FakeClock(start);
  const db = openDatabase(":memory:");
  const core = createCore(db, clock, ["test-token-0123456789"]);
  return { clock, core, db, repo: createTicketRepo(db, clock, core.redactor) };
}

export const TEST_TOKEN = "test-token-0123456789";
