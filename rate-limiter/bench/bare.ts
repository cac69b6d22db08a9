// The baseline: a bare Bun.serve answering a fixed JSON body, the ceiling for any HTTP service here.
const port = Number(process.argv[2]);
const body = JSON.stringify({
  allowed: true,
  limit: 100,
  remaining: 99,
  reset_after_ms: 100,
  retry_after_ms: 0,
});
Bun.serve({
  port,
  hostname: "127.0.0.1",
  reusePort: false,
  fetch: () => new Response(body, { headers: { "content-type": "application/json" } }),
});

export {};
