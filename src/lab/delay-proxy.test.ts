import { afterAll, describe, expect, test } from "bun:test";
import { redisAvailable } from "../testing/redis";
import { startDelayProxy } from "./delay-proxy";

const redisUp = await redisAvailable(undefined, "the delay proxy tests");

const stops: (() => void)[] = [];
afterAll(() => {
  for (const s of stops) s();
});

describe.skipIf(!redisUp)("delaying TCP proxy in front of the real Redis", () => {
  test("passes commands through, then adds the delay to every reply", async () => {
    const proxy = await startDelayProxy({ host: "127.0.0.1", port: 6379 });
    stops.push(proxy.stop);
    const client = new Bun.RedisClient(`redis://127.0.0.1:${proxy.port}`);
    stops.push(() => client.close());
    const key = `delay-proxy-${process.pid}`;
    await client.send("SET", [key, "v"]);
    expect(await client.send("GET", [key])).toBe("v");
    const timed = async () => {
      const t = performance.now();
      await client.send("PING", []);
      return performance.now() - t;
    };
    proxy.setDelay(150);
    // A lower bound only: the delay is the fault, so it must at least be there.
    expect(await timed()).toBeGreaterThanOrEqual(140);
    proxy.setDelay(0);
    expect(await client.send("GET", [key])).toBe("v");
  });
});
