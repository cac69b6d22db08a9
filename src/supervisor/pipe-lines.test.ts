import { expect, test } from "bun:test";
import { MAX_SERVICE_LINE_CHARS, pipeLines } from "./supervisor";

const streamOf = (chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
      c.close();
    },
  });

async function linesOf(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  await pipeLines(streamOf(chunks), (l) => out.push(l));
  return out;
}

test("lines split across chunks are joined, and a last line without newline is kept", async () => {
  expect(await linesOf(["a", "b\nc", "\n\nd"])).toEqual(["ab", "c", "", "d"]);
});

test("a multi-byte character split between chunks is decoded whole", async () => {
  const bytes = new TextEncoder().encode("é\n");
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.slice(0, 1));
      c.enqueue(bytes.slice(1));
      c.close();
    },
  });
  const out: string[] = [];
  await pipeLines(stream, (l) => out.push(l));
  expect(out).toEqual(["é"]);
});

test("a line past the limit is cut once, its rest dropped, and the next line arrives whole", async () => {
  const chunk = "x".repeat(64 * 1024);
  const chunks = Array.from({ length: 40 }, () => chunk); // 2.5 MiB without a newline
  const out = await linesOf([...chunks, "tail\nnext line\n"]);
  expect(out).toHaveLength(2);
  expect(out[0]?.length).toBe(MAX_SERVICE_LINE_CHARS + " [line truncated]".length);
  expect(out[0]?.endsWith(" [line truncated]")).toBe(true);
  expect(out[1]).toBe("next line");
});
