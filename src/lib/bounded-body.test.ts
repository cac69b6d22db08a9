import { describe, expect, test } from "bun:test";
import { gzipBomb } from "../testing/bombs";
import { gunzipCapped, readBodyCapped } from "./bounded-body";
import { AppError } from "./errors";

/** A body that sends `chunk` forever: only a reader that stops at its limit ever answers. */
function endless(chunk = new Uint8Array(64 * 1024)): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      controller.enqueue(chunk);
    },
  });
}

/** A body whose first byte never comes. */
const silent = () => new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/x", { method: "POST", body, headers });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "none";
  } catch (err) {
    return err instanceof AppError ? err.code : String(err);
  }
}

describe("readBodyCapped", () => {
  test("reads a body within the limit", async () => {
    expect(new TextDecoder().decode(await readBodyCapped(post("hello"), 5))).toBe("hello");
  });

  test("refuses a declared length over the limit without reading a byte", async () => {
    const started = performance.now();
    const code = await codeOf(
      readBodyCapped(post(silent(), { "content-length": String(100 * 2 ** 20) }), 1024),
    );
    expect(code).toBe("too_large");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("cuts off a body without a length at the limit, even one that never ends", async () => {
    const code = await codeOf(readBodyCapped(post(endless()), 1024 * 1024));
    expect(code).toBe("too_large");
  });
});

describe("gunzipCapped", () => {
  test("inflates within the limit", async () => {
    const gz = Bun.gzipSync(new TextEncoder().encode("a 1\n"));
    expect(new TextDecoder().decode(await gunzipCapped(gz, 100))).toBe("a 1\n");
  });

  test("a bomb stops at the limit: too_large, quickly, without allocating what it claims", async () => {
    const bomb = gzipBomb(512);
    Bun.gc(true);
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    expect(await codeOf(gunzipCapped(bomb, 32 * 2 ** 20))).toBe("too_large");
    expect(performance.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 2 ** 20);
  });

  test("bytes that are not gzip are invalid", async () => {
    expect(await codeOf(gunzipCapped(new TextEncoder().encode("plain text"), 100))).toBe("invalid");
  });
});
