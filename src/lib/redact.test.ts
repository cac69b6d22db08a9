import { describe, expect, test } from "bun:test";
import { Redactor } from "./redact";

test.each([
  ["Authorization: Bearer abc.def-123456789", "abc.def-123456789"],
  ["curl -H 'Bearer zzzzzzzzzzzz'", "zzzzzzzzzzzz"],
  ["x-api-key=sk-ant-api03-abcdefghijklmnop", "abcdefghijklmnop"],
  ['{"password": "hunter2hunter2"}', "hunter2hunter2"],
  ["token=abcdefgh1234", "abcdefgh1234"],
])("redacts %p", (input, secret) => {
  const out = new Redactor().text(input);
  expect(out).not.toContain(secret);
  expect(out).toContain("[REDACTED]");
});

test("literal secrets and secret-named keys", () => {
  const r = new Redactor(["my-configured-secret-value"]);
  expect(r.text("echo my-configured-secret-value")).toBe("echo [REDACTED]");
  expect(
    r.value({ nested: { apiKey: "whatever", ok: "fine" }, list: ["my-configured-secret-value"] }),
  ).toEqual({
    nested: { apiKey: "[REDACTED]", ok: "fine" },
    list: ["[REDACTED]"],
  });
});

// Its standard base64 holds a "+", so base64url differs from it; "?", "#" and ">" differ URL-encoded.
const SECRET = "Zq8?>~Lm3vXy7#pW2k!";
const UNICODE_SECRET = "pässwörd-Ünïcode-42";
const bytes = Buffer.from(SECRET);
const b64 = bytes.toString("base64");
const hex = bytes.toString("hex");
const everyByte = (s: string, upper = true) =>
  [...Buffer.from(s)]
    .map((b) => `%${b.toString(16).padStart(2, "0")}`[upper ? "toUpperCase" : "toLowerCase"]())
    .join("");
const wrap = (s: string, width: number, nl = "\n") =>
  s.replace(new RegExp(`(.{${width}})`, "g"), `$1${nl}`).trimEnd();

describe("encoded forms of a configured secret", () => {
  const r = new Redactor([SECRET, UNICODE_SECRET]);
  test("the fixture's encodings differ from each other", () => {
    expect(b64).toContain("+");
    expect(encodeURIComponent(SECRET)).not.toBe(SECRET);
  });

  test.each([
    ["literal", SECRET],
    ["base64, padded", b64],
    ["base64, unpadded", b64.replace(/=+$/, "")],
    ["base64url", bytes.toString("base64url")],
    ["hex, lower case", hex],
    ["hex, upper case", hex.toUpperCase()],
    ["hex, bytes separated by spaces", hex.replace(/(..)(?!$)/g, "$1 ")],
    ["encodeURIComponent", encodeURIComponent(SECRET)],
    ["%XX of every byte, upper case", everyByte(SECRET)],
    ["%XX of every byte, lower case", everyByte(SECRET, false)],
    ["non-ASCII secret, encodeURIComponent", encodeURIComponent(UNICODE_SECRET)],
    ["non-ASCII secret, base64", Buffer.from(UNICODE_SECRET).toString("base64")],
    ["literal split by spaces", SECRET.split("").join(" ")],
    ["literal split by newlines", wrap(SECRET, 5)],
    ["base64 wrapped every 8 characters", wrap(b64, 8)],
    ["base64 wrapped with CRLF", wrap(b64, 6, "\r\n")],
    ["base64 wrapped inside JSON text", wrap(b64, 8, "\\n")],
    ["hex wrapped", wrap(hex, 16)],
  ])("%s", (_name, form) => {
    expect(r.text(`before ${form} after`)).toBe("before [REDACTED] after");
    expect(r.text(`x=${form}&y=1`)).toBe("x=[REDACTED]&y=1");
  });

  // A secret inside a longer base64 blob (a tarball, a JSON dump) sits at any of three byte alignments.
  const blobOf = (lead: number) =>
    Buffer.concat([Buffer.from("L".repeat(lead)), bytes, Buffer.from("-and the rest of the blob-")]).toString(
      "base64",
    );
  test.each([30, 31, 32])("inside a longer base64 blob, %d leading bytes", (lead) => {
    const blob = blobOf(lead);
    const out = r.text(`dump: ${blob} end`);
    expect(out).toContain("[REDACTED]");
    // The neighbours in the blob survive: everything before the secret's bytes, and the tail after them.
    expect(out.startsWith(`dump: ${blob.slice(0, 40)}`)).toBe(true);
    expect(out.endsWith(`${blob.slice(-32)} end`)).toBe(true);
    expect(Buffer.from(out.replace(/^dump: |\[REDACTED\]| end$/g, ""), "base64").includes(bytes)).toBe(false);
  });

  test.each([30, 31, 32])("inside a base64 blob wrapped every 76 characters, %d leading bytes", (lead) => {
    // 53 to 55 leading bytes put the secret's characters across the line break at column 76.
    const blob = Buffer.concat([Buffer.from("L".repeat(lead + 23)), bytes, Buffer.from("tail")]).toString(
      "base64",
    );
    const wrapped = wrap(blob, 76);
    expect(wrapped).toContain("\n");
    const out = r.text(wrapped);
    expect(out).toContain("[REDACTED]");
    expect(out.startsWith(wrapped.slice(0, 60))).toBe(true);
  });

  test("several forms in one output, all replaced", () => {
    const out = r.text(`a ${SECRET} b ${b64} c ${hex.toUpperCase()} d ${encodeURIComponent(SECRET)} e`);
    expect(out).toBe("a [REDACTED] b [REDACTED] c [REDACTED] d [REDACTED] e");
  });

  test("a large output with secrets scattered through it is redacted everywhere", () => {
    const filler = '{"level":"info","msg":"allowed","key":"user:7","remaining":41,"latency_ms":0.21}\n';
    const forms = [SECRET, b64, hex, everyByte(SECRET), wrap(b64, 10)];
    let text = "";
    let expected = "";
    for (let i = 0; text.length < 100_000; i++) {
      text += i % 50 === 0 ? `${forms[(i / 50) % forms.length]}\n` : filler;
      expected += i % 50 === 0 ? "[REDACTED]\n" : filler;
    }
    const five = new Redactor([
      SECRET,
      "another-secret-1",
      "another-secret-2",
      "x".repeat(40),
      "abc:def:ghi",
    ]);
    expect(five.text(text)).toBe(expected);
  });
});

describe("short secrets", () => {
  test("six or seven characters: only the literal is replaced, encodings are not searched", () => {
    const r = new Redactor(["s3cr3t!", "abc", undefined]);
    expect(r.text("pw s3cr3t! end")).toBe("pw [REDACTED] end");
    const b = Buffer.from("s3cr3t!").toString("base64");
    expect(r.text(`pw ${b} end`)).toBe(`pw ${b} end`);
    expect(r.text("abc is too short to be a secret")).toBe("abc is too short to be a secret");
  });
});

describe("credential shapes nobody configured", () => {
  const r = new Redactor();
  test.each([
    ["OpenAI key", "key sk-abcdefghij0123456789ABCD used", "key [REDACTED] used"],
    ["OpenAI project key", "sk-proj-Ab3_dEf-GhIjKlMnOpQrStUv9 ok", "[REDACTED] ok"],
    ["Anthropic key", "ANTHROPIC=sk-ant-api03-Zyx_Wvu-0123", "ANTHROPIC=[REDACTED]"],
    [
      "GitHub PAT (classic)",
      "push with ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 now",
      "push with [REDACTED] now",
    ],
    ["GitHub OAuth token", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "[REDACTED]"],
    ["GitHub server token", "(ghs_0123456789abcdefghijABCDEFGHIJ)", "([REDACTED])"],
    ["GitHub fine-grained PAT", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[REDACTED]"],
    ["AWS access key id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws_access_key_id = [REDACTED]"],
    ["Slack bot token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKl", "[REDACTED]"],
    [
      "JWT",
      "cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U;",
      "cookie [REDACTED];",
    ],
    ["Bearer", "Authorization: Bearer abcdefgh12345678", "Authorization: Bearer [REDACTED]"],
    [
      "Basic",
      "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='",
      "curl -H 'Authorization: Basic [REDACTED]'",
    ],
    [
      "PEM private key",
      "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nQz9+/a==\n-----END RSA PRIVATE KEY-----\nbye",
      "key:\n[REDACTED]\nbye",
    ],
    [
      "encrypted PEM private key with header lines",
      "-----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\r\n\r\nxK3pPr/DXUq8wrx1\r\n-----END RSA PRIVATE KEY-----\r\nnext line",
      "[REDACTED]\r\nnext line",
    ],
    [
      "PEM private key cut before its END line",
      'out: "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\nAKcwggSj',
      'out: "[REDACTED]',
    ],
  ])("%s", (_name, input, expected) => {
    expect(r.text(input)).toBe(expected);
  });
});

// Repeated prefixes of every shape, and long runs that nearly match: a shape that rescans a run from each
// prefix would take seconds here (and time the test out); each must cost one scan.
// Rows are [name, input, expected output]; most hostile inputs hold nothing to redact.
const unchanged = (name: string, input: string): [string, string, string] => [name, input, input];
test.each([
  unchanged("JWT prefixes", "eyJ-".repeat(25_000)),
  unchanged("OpenAI prefixes without a digit", "sk-".repeat(33_000)),
  ["PEM headers", "-----BEGIN PRIVATE KEY-----!".repeat(3_500), "[REDACTED]!".repeat(3_500)],
  unchanged("Basic with too much padding", `Basic ${"A".repeat(100_000)}===`),
  unchanged(
    "a secret's first character before long whitespace",
    `Z${" ".repeat(50_000)}q${"\n".repeat(20_000)}`,
  ),
])("hostile input stays linear: %s", (_name, input, expected) => {
  expect(new Redactor([SECRET, "another-secret-1"]).text(input)).toBe(expected);
});

test("ordinary text is left alone", () => {
  // A redactor that knows secrets, so their encoded forms are searched too.
  const r = new Redactor(["hk_live_7f3a9c2e5b1d", "sk-ant-api03-configured-key-0", "whsec_deadbeef42"]);
  const ordinary = [
    "denied 42 requests for key user:7",
    '{"ts":"2026-12-01T10:00:00.000Z","level":"info","msg":"denied","instance":"rl-1","request_id":"3f2b1c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d","policy":"default","key":"user:42","decision":"denied","latency_ms":0.123,"sampled":"1/100"}',
    '{"level":"error","msg":"store error","op":"incr","error":"ECONNREFUSED 127.0.0.1:6379","suppressed":3}',
    '{"level":"info","msg":"config loaded","hash":"9c1185a5c5e9fc54612808977ee8f548b2258d31","path":"limits.yaml"}',
    'sum(rate(ratelimiter_requests_total{decision="denied",policy=~"api|web"}[5m])) / sum(rate(ratelimiter_requests_total[5m])) > 0.05',
    'histogram_quantile(0.99, sum by (le) (rate(ratelimiter_decision_seconds_bucket{instance="rl-1"}[5m])))',
    '{"request_rate":1234.5,"error_ratio":0.0012,"p99_seconds":0.00345,"tokens":[1,2,3],"remaining":99}',
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 (HEAD -> main) and d9ad1cc",
    "ticket 0b6f3c2a-8d4e-4f1a-9b7c-2e5d6a8f1c3b created for 550e8400-e29b-41d4-a716-446655440000",
    "The basic configuration uses a token bucket; bearer of the lease is worker-1.",
    "task-runner-for-the-whole-team and desk-booking-service-v2 are unrelated",
    "max_tokens: 4096, token_bucket: {capacity: 100, refill_per_s: 50}",
    "base64 of hello: aGVsbG8gd29ybGQ= and hex 68656c6c6f",
  ];
  for (const line of ordinary) expect(r.text(line)).toBe(line);
});
