import { Elysia } from "elysia";
import type { Core } from "../core";
import { trajectoryContext } from "../trajectories/context";
import { checkFormat, exportLines } from "../trajectories/export";
import { parseTrajectoryFilter } from "../trajectories/filter";
import { createPseudonymizer } from "../trajectories/pseudonymize";

/** Streams JSONL so exports of any size never sit in memory. */
export function trajectoryRoutes(core: Core) {
  return new Elysia().get("/api/v1/trajectories/export", ({ query }) => {
    const q = query as Record<string, string | undefined>;
    const format = checkFormat(q.format ?? "native");
    const filter = parseTrajectoryFilter(q);
    // hash_keys=1 pseudonymises keys and IPs; a salt makes the pseudonyms comparable across exports.
    const hash = q.hash_keys === "1" || q.hash_keys === "true";
    const lines = exportLines(core, trajectoryContext(), format, filter, {
      pseudonymizer: hash ? createPseudonymizer(q.salt || crypto.randomUUID()) : undefined,
    });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = lines.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "application/x-ndjson",
        "content-disposition": `attachment; filename="trajectories-${format}.jsonl"`,
      },
    });
  });
}
