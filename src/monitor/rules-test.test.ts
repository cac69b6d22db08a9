import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runRulesTests } from "./rules-test";

const examples = join(import.meta.dir, "../../docs/examples");
const read = (p: string) => readFileSync(join(examples, p), "utf8");

test("the documented example passes", async () => {
  const results = await runRulesTests(read("rules.test.yaml"), read);
  expect(results.map((r) => [r.name, r.passed, r.failures])).toEqual([
    ["a long queue opens one P2 ticket after its 2m `for`", true, []],
    ["5% errors burn the 99.9% budget fast (P1); the queue stays quiet", true, []],
    [
      "a worker going up and down opens its ticket, then one flapping ticket (6 changes in 20 evaluations)",
      true,
      [],
    ],
  ]);
});

test("a wrong expectation fails with the tickets that were open", async () => {
  const text = `rules:
  invariants: [{ name: Hot, query: temp > 30, for: 0s, severity: critical }]
tests:
  - input_series: [{ series: temp, values: 40 40 }]
    ticket_test:
      - eval_time: 1m
        exp_tickets: [{ rule: Hot, priority: P3 }]
`;
  const [r] = await runRulesTests(text, read);
  expect(r?.passed).toBe(false);
  expect(r?.failures[0]).toContain('expected ticket {"rule":"Hot","priority":"P3"}');
  expect(r?.failures[1]).toContain('unexpected ticket {"source":"invariant","rule":"Hot","priority":"P1"');
});

test("a malformed test file names the bad field", async () => {
  await expect(runRulesTests("tests: []\n", read)).rejects.toThrow(/tests/);
});
