import { describe, expect, test } from "bun:test";
import { trajectoryRoutes } from "../api/trajectories";
import { testAgent } from "../testing/agent";
import { testCore } from "../testing/core";
import { exportPeak } from "../testing/export-load";
import { testTicket } from "../testing/tickets";
import { trajectoryContext } from "./context";
import { exportLines } from "./export";
import { createPseudonymizer } from "./pseudonymize";

describe("pseudonymised exports", () => {
  const p = createPseudonymizer("salt-1");
  test.each([
    ['{"key":"user:42","hits":1}', "user:42"],
    ['{\\"key\\":\\"user:42\\"}', "user:42"],
    ["denied key=user:42 policy=api", "user:42"],
    ["GET /v1/buckets/user%3A42 200", "user%3A42"],
    ["client 203.0.113.7 over limit", "203.0.113.7"],
    ["from 2001:db8::7 and fe80:0:0:0:0:0:0:1", "2001:db8::7"],
  ])("%s loses its identifier", (input, secret) => {
    const out = p.text(input);
    expect(out).not.toContain(secret);
    expect(out).toMatch(/(key|ip)_[0-9a-f]{12}/);
  });

  test.each([
    'ratelimiter_requests_total{policy="api"} 12 at 2026-12-02T01:23:45Z',
    "version 1.4.5, p99 2.5 ms, 01:23:45",
    '{"descriptor":"plan","value":"free"}',
  ])("%s is left as it is", (input) => {
    expect(p.text(input)).toBe(input);
  });

  test("pseudonyms are stable per salt, different across salts, and applied to object keys named key", () => {
    const q = createPseudonymizer("salt-1");
    const other = createPseudonymizer("salt-2");
    expect(q.text("key=alice")).toBe(p.text("key=alice"));
    expect(other.text("key=alice")).not.toBe(p.text("key=alice"));
    // The same key reads the same whether it came as JSON text, a key= pair or an object field.
    const [a, b, c] = [p.text('{"key":"bob"}'), p.text("key=bob"), p.value({ key: "bob" }).key];
    const id = c as string;
    expect(a).toContain(id);
    expect(b).toContain(id);
  });

  test("an export with the pseudonymiser carries no key or IP, and keeps everything else", async () => {
    const { core } = testCore();
    const agent = testAgent(core);
    testTicket(
      core,
      {
        title: "Denials for key=user:42 from 198.51.100.23",
        objective: 'Check why {"key":"user:42"} keeps hitting its limit',
        priority: "P3",
      },
      "test",
    );
    await agent.runOnce("w1");
    const plain = [...exportLines(core, trajectoryContext(), "native", {})].join("");
    expect(plain).toContain("user:42");
    const hashed = [
      ...exportLines(core, trajectoryContext(), "native", {}, { pseudonymizer: createPseudonymizer("s") }),
    ].join("");
    expect(hashed).not.toContain("user:42");
    expect(hashed).not.toContain("198.51.100.23");
    const rec = JSON.parse(hashed) as { initial_state: { title: string }; steps: unknown[]; outcome: string };
    expect(rec.initial_state.title).toMatch(/^Denials for key=key_[0-9a-f]{12} from ip_[0-9a-f]{12}$/);
    expect(rec.steps.length).toBe((JSON.parse(plain) as { steps: unknown[] }).steps.length);
  });
});

test("an export streams: 3,000 episodes (about 70 MiB of JSONL) keep the live heap nearly flat", () => {
  const r = exportPeak(3_000);
  expect(r.bytes).toBeGreaterThan(60 * 1_048_576);
  // Holding the output, or the episodes, would keep tens of MiB alive; streaming keeps a page of tickets.
  expect(r.peakMb).toBeLessThan(16);
}, 60_000);

test("the export API pseudonymises on request, with a salt that makes pseudonyms comparable", async () => {
  const { core } = testCore();
  testTicket(core, { title: "Denials for key=carol", objective: "look" }, "test");
  await testAgent(core).runOnce("w1");
  const api = trajectoryRoutes(core);
  const get = async (q: string) =>
    (await api.handle(new Request(`http://localhost/api/v1/trajectories/export?${q}`))).text();
  expect(await get("format=native")).toContain("key=carol");
  const a = await get("format=native&hash_keys=1&salt=s1");
  expect(a).not.toContain("carol");
  expect(await get("format=openai&hash_keys=1&salt=s1")).toContain(
    /key=(key_[0-9a-f]{12})/.exec(a)?.[1] as string,
  );
});
