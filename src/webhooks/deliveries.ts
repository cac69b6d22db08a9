import type { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import type { Clock } from "../lib/clock";
import type { Redactor } from "../lib/redact";

export type DeliveryRepo = ReturnType<typeof createDeliveryRepo>;

/**
 * Webhook deliveries, recognised by a hash of the raw body so a sender's retry is a duplicate. The payload is
 * kept redacted (senders paste tokens into alert annotations); the hash stays over the raw body.
 */
export function createDeliveryRepo(db: Database, clock: Clock, redactor: Redactor) {
  const hashOf = (source: string, raw: string) =>
    createHash("sha256").update(`${source}\n${raw}`).digest("hex");
  return {
    /** The ticket an identical earlier delivery went to, if there was one. */
    ticketOf(source: string, raw: string): number | null {
      return (
        db
          .query<{ ticket_id: number }, [string]>(
            "SELECT ticket_id FROM webhook_deliveries WHERE payload_hash = ?",
          )
          .get(hashOf(source, raw))?.ticket_id ?? null
      );
    },
    record(source: string, raw: string, payload: unknown, ticketId: number): void {
      db.query(
        "INSERT OR IGNORE INTO webhook_deliveries (source, payload_hash, ticket_id, received_at, payload) VALUES (?, ?, ?, ?, ?)",
      ).run(source, hashOf(source, raw), ticketId, clock.now(), JSON.stringify(redactor.value(payload)));
    },
  };
}
