// A fetch-based load generator for machines without wrk; run as its own process so it does not share the
// event loop with the server under test. Usage: bun load.ts URL SECONDS CONNECTIONS [JSON_BODY] [RATE]
// With RATE (requests per second) the load is open-loop: request i is due at i/RATE and its latency counts
// from that moment, so a slow server cannot hide its queueing by slowing the generator down.
const [url, secondsArg, connsArg, bodyArg, rateArg] = process.argv.slice(2);
const body = bodyArg === "-" ? undefined : bodyArg;
const rate = rateArg ? Number(rateArg) : 0;
if (!url) {
  console.error("usage: bun load.ts URL SECONDS CONNECTIONS [JSON_BODY|-] [RATE]");
  process.exit(2);
}
const seconds = Number(secondsArg ?? 5);
const conns = Number(connsArg ?? 64);
const init: RequestInit = body
  ? { method: "POST", body, headers: { "content-type": "application/json" } }
  : { method: "GET" };
const latencies: number[] = [];
let errors = 0;
const started = performance.now();
const until = started + seconds * 1000;

let next = 0;
async function worker(): Promise<void> {
  while (performance.now() < until) {
    let t = performance.now();
    if (rate > 0) {
      const due = started + (next++ * 1000) / rate;
      if (due >= until) return;
      if (due > t) await Bun.sleep(due - t);
      // Late (the generator fell behind): count from when it was due. Early (the timer fired early): from now.
      t = Math.max(due, performance.now());
    }
    try {
      const res = await fetch(url as string, init);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
    } catch {
      errors++;
    }
  }
}

await Promise.all(Array.from({ length: conns }, worker));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
console.log(
  JSON.stringify({
    rps: latencies.length / elapsed,
    p50: Math.round(at(0.5) * 100) / 100,
    p99: Math.round(at(0.99) * 100) / 100,
    errors,
  }),
);

export {};
