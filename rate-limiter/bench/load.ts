// A fetch-based load generator for machines without wrk; run as its own process so it does not share the
// event loop with the server under test. Usage: bun load.ts URL SECONDS CONNECTIONS [JSON_BODY]
const [url, secondsArg, connsArg, body] = process.argv.slice(2);
if (!url) {
  console.error("usage: bun load.ts URL SECONDS CONNECTIONS [JSON_BODY]");
  process.exit(2);
}
const seconds = Number(secondsArg ?? 5);
const conns = Number(connsArg ?? 64);
const init: RequestInit = body
  ? { method: "POST", body, headers: { "content-type": "application/json" } }
  : { method: "GET" };
const latencies: number[] = [];
let errors = 0;
const until = performance.now() + seconds * 1000;

async function worker(): Promise<void> {
  while (performance.now() < until) {
    const t = performance.now();
    try {
      const res = await fetch(url as string, init);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
    } catch {
      errors++;
    }
  }
}

const started = performance.now();
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
