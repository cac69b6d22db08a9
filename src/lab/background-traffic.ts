import type { HarnessHandle, Instance } from "./harness-handle";
import { runLoad } from "./load";
import { defaultShape } from "./traffic";

/**
 * A scenario's `traffic`: ordinary clients at `rate` per second until stopped, in short rounds so a stop is
 * quick, so that rules on rates and latency have data for the whole run.
 */
export async function backgroundTraffic(h: HarnessHandle, rate: number) {
  const port = (await h.api<Instance[]>("/api/v1/service")).data.find((i) => i.state === "ready")?.port;
  if (port === undefined) throw new Error("no ready instance to send traffic to");
  let running = true;
  let seed = 100;
  const loop = (async () => {
    while (running)
      await runLoad(
        `http://127.0.0.1:${port}`,
        { ...defaultShape, rate, durationMs: 1_000, keys: 200, abusiveShare: 0, burstFactor: 1, diurnal: 0 },
        seed++,
      ).catch(() => Bun.sleep(200));
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
