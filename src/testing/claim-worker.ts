// Used by the concurrent-claim test: a separate process claiming tickets from a shared database file.
import { openDatabase } from "../db/open";
import { systemClock } from "../lib/clock";
import { createTicketRepo } from "../tickets/repo";

const [path, worker] = process.argv.slice(2) as [string, string];
const tickets = createTicketRepo(openDatabase(path), systemClock);
const claimed: number[] = [];
for (;;) {
  const t = tickets.claimNext(worker, 60_000);
  if (!t) break;
  claimed.push(t.id);
}
console.log(JSON.stringify(claimed));
