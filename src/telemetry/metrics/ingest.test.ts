import { afterEach, describe, expect, test } from "bun:test";
import { handleImportPrometheus, handleRemoteWrite } from "./ingest";
import { decodeRemoteWrite, decodeWriteRequest, encodeRemoteWrite, groupSamples } from "./remote-write";
import { SnappyError, snappyCompress, snappyDecompress } from "./snappy";
import { MetricStore } from "./store";

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...new TextEncoder().encode(p)] : p)));

describe("snappy", () => {
  test("decodes a hand-built block with a literal and an overlapping copy", () => {
    // length 12, literal "abcd", copy-1 of length 8 at offset 4.
    const block = bytes([12, 3 << 2], "abcd", [1 | ((8 - 4) << 2), 4]);
    expect(new TextDecoder().decode(snappyDecompress(block))).toBe("abcdabcdabcd");
  });

  const inputs: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["short", bytes("abc")],
    ["repetitive", bytes("hello ".repeat(5000))],
    ["random", crypto.getRandomValues(new Uint8Array(70_000))],
    [
      "long literal then repeats",
      bytes(
        Array.from({ length: 300 }, (_, i) => (i * 7) % 251),
        "xyzxyzxyzxyzxyz".repeat(100),
      ),
    ],
  ];
  for (const [name, input] of inputs) {
    test(`round-trip: ${name}`, () => {
      const packed = snappyCompress(input);
      expect(snappyDecompress(packed)).toEqual(input);
      if (name === "repetitive") expect(packed.length).toBeLessThan(input.length / 10);
    });
  }

  const corrupt: [string, Uint8Array][] = [
    ["truncated literal", bytes([10, 9 << 2], "abc")],
    ["offset before start", bytes([8, 0], "a", [1 | (3 << 2), 5])],
    ["length mismatch", bytes([5, 0], "a")],
    ["huge declared length", bytes([0xff, 0xff, 0xff, 0xff, 0x0f])],
  ];
  for (const [name, input] of corrupt) {
    test(`corrupt: ${name}`, () => expect(() => snappyDecompress(input)).toThrow(SnappyError));
  }
});

describe("remote write", () => {
  test("decodes a hand-built WriteRequest", () => {
    const label = (n: string, v: string) => bytes([0x0a, n.length], n, [0x12, v.length], v);
    const l1 = label("__name__", "up");
    const l2 = label("job", "a");
    const s1 = bytes([0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xe8, 0x07]); // 1.0 @ 1000
    // StaleNaN @ -1 (int64 negatives take ten varint bytes)
    const s2 = bytes([
      0x09, 2, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    const unknown = bytes([0x18, 0x05]); // field 3 varint: skipped
    const ts = bytes(
      [0x0a, l1.length],
      [...l1],
      [0x0a, l2.length],
      [...l2],
      [0x12, s1.length],
      [...s1],
      [0x12, s2.length],
      [...s2],
      [...unknown],
    );
    const req = bytes([0x0a, ts.length], [...ts]);
    expect(decodeWriteRequest(req)).toEqual([
      { labels: { __name__: "up", job: "a" }, t: 1000, v: 1 },
      { labels: { __name__: "up", job: "a" }, t: -1, v: Number.NaN, stale: true },
    ]);
    // And the same body snappy-wrapped as a single literal (66 bytes: length in one extra byte).
    expect(req.length).toBe(66);
    expect(decodeRemoteWrite(bytes([req.length, 60 << 2, req.length - 1], [...req]))).toHaveLength(2);
  });

  test("encode → decode round-trip keeps labels, values, stale markers and big/negative timestamps", () => {
    const samples = [
      { labels: { __name__: "a", z: "1", b: "ünïcode" }, t: 1_700_000_000_123, v: 0.1 },
      { labels: { __name__: "a", z: "1", b: "ünïcode" }, t: 1_700_000_015_123, v: Number.NaN, stale: true },
      { labels: { __name__: "b" }, t: -5000, v: Number.NEGATIVE_INFINITY },
      { labels: { __name__: "b" }, t: 2 ** 52, v: Number.NaN },
    ];
    const decoded = decodeRemoteWrite(encodeRemoteWrite(groupSamples(samples)));
    expect(decoded).toEqual([
      { labels: { __name__: "a", b: "ünïcode", z: "1" }, t: 1_700_000_000_123, v: 0.1 },
      { labels: { __name__: "a", b: "ünïcode", z: "1" }, t: 1_700_000_015_123, v: Number.NaN, stale: true },
      { labels: { __name__: "b" }, t: -5000, v: Number.NEGATIVE_INFINITY },
      { labels: { __name__: "b" }, t: 2 ** 52, v: Number.NaN },
    ]);
    expect(decoded[3]?.stale).toBeUndefined();
  });
});

describe("handlers", () => {
  const stores: MetricStore[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
  });
  const open = () => {
    const s = new MetricStore(":memory:");
    stores.push(s);
    return s;
  };
  const now = 1_700_000_000_000;
  const rw = (body: Uint8Array, headers: Record<string, string> = {}) =>
    new Request("http://x/api/v1/write", {
      method: "POST",
      body: body as Uint8Array<ArrayBuffer>,
      headers: { "content-encoding": "snappy", "content-type": "application/x-protobuf", ...headers },
    });

  test("remote write stores samples and answers 204", async () => {
    const store = open();
    const body = encodeRemoteWrite([{ labels: { __name__: "x", job: "j" }, samples: [{ t: now, v: 3 }] }]);
    const res = await handleRemoteWrite(rw(body), store, now);
    expect(res.status).toBe(204);
    expect(store.select([{ name: "job", op: "=", value: "j" }], 0, now)[0]?.samples).toEqual([
      { t: now, v: 3 },
    ]);
  });

  const badRw: [string, Request, number, RegExp][] = [
    ["corrupt snappy", rw(bytes([20, 0x00], "x")), 400, /invalid remote write body/],
    ["corrupt protobuf", rw(snappyCompress(bytes([0x0a, 0x50, 1, 2]))), 400, /invalid remote write body/],
    ["wrong encoding", rw(new Uint8Array(1), { "content-encoding": "gzip" }), 415, /snappy/],
    ["wrong type", rw(new Uint8Array(1), { "content-type": "application/json" }), 415, /x-protobuf/],
    [
      "remote write 2.0",
      rw(new Uint8Array(1), {
        "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
      }),
      415,
      /1\.0/,
    ],
    [
      "timestamp in µs",
      rw(encodeRemoteWrite([{ labels: { __name__: "x" }, samples: [{ t: now * 1000, v: 1 }] }])),
      400,
      /future/,
    ],
  ];
  for (const [name, req, status, msg] of badRw) {
    test(`remote write rejects ${name}`, async () => {
      const store = open();
      const res = await handleRemoteWrite(req, store, now);
      expect(res.status).toBe(status);
      expect(await res.text()).toMatch(msg);
      expect(store.stats().samples).toBe(0);
    });
  }

  test("import/prometheus stamps lines without a timestamp with now and adds extra_label", async () => {
    const store = open();
    const body = `# TYPE a gauge\na{k="1"} 5 ${now - 1000}\nb 7\n`;
    const res = await handleImportPrometheus(
      new Request("http://x/api/v1/import/prometheus?extra_label=job=imp", { method: "POST", body }),
      store,
      now,
    );
    expect(res.status).toBe(204);
    const got = store.select([{ name: "job", op: "=", value: "imp" }], 0, now);
    expect(got.map((s) => [s.labels.__name__, s.samples])).toEqual([
      ["a", [{ t: now - 1000, v: 5 }]],
      ["b", [{ t: now, v: 7 }]],
    ]);
  });

  test("import/prometheus accepts gzip and rejects bad text with the line number", async () => {
    const store = open();
    const gz = Bun.gzipSync(new TextEncoder().encode("c 1\n"));
    const ok = await handleImportPrometheus(
      new Request("http://x/", { method: "POST", body: gz, headers: { "content-encoding": "gzip" } }),
      store,
      now,
    );
    expect(ok.status).toBe(204);
    const bad = await handleImportPrometheus(
      new Request("http://x/", { method: "POST", body: "c 1\nd x\n" }),
      store,
      now,
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^line 2: invalid value/);
    expect(store.stats().samples).toBe(1);
  });
});
