import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { AppError } from "./errors";

const gunzipAsync = promisify(gunzip);

const tooLarge = (what: string, max: number) =>
  new AppError("too_large", `${what} is larger than the limit of ${max} bytes`);

/**
 * A request body of at most `max` bytes. A declared Content-Length over it is refused before a byte is read; a
 * streamed body (no length) is read chunk by chunk and cut off as soon as it passes the limit, so a client that
 * sends without end costs at most `max` bytes of memory.
 */
export async function readBodyCapped(req: Request, max: number, what = "request body"): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > max) throw tooLarge(what, max);
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      // Not awaited: a client that never ends its body must not hold this answer.
      reader.cancel().catch(() => {});
      throw tooLarge(what, max);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Gzip inflated to at most `max` bytes: zlib stops (and frees what it made) at the limit, so a bomb of a few
 * hundred kilobytes that would inflate to gigabytes never allocates more than `max`. Runs off the event loop.
 */
export async function gunzipCapped(body: Uint8Array, max: number, what = "gzip body"): Promise<Uint8Array> {
  try {
    return await gunzipAsync(body, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw tooLarge(`${what} once decompressed`, max);
    throw new AppError("invalid", `${what} is not valid gzip: ${(err as Error).message}`);
  }
}
