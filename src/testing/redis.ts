/** Whether a Redis answers at `url`; tests that need one skip with a sentence saying why when it does not. */
export async function redisAvailable(url = "redis://127.0.0.1:6379", what = "these tests"): Promise<boolean> {
  const up = await new Bun.RedisClient(url, { connectionTimeout: 500, autoReconnect: false })
    .send("PING", [])
    .then(() => true)
    .catch(() => false);
  if (!up) console.warn(`skipping ${what}: no Redis at ${url}`);
  return up;
}
