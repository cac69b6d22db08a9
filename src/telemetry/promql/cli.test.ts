import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promqlTestCommand } from "../../cli/promql-test";

// The CLI front end of the test-script runner lives in src/cli; its test sits with the engine.

const script = `load 1m
  m{a="1"} 0+10x5

eval instant at 2m m
  m{a="1"} 20

eval instant at 2m m
  m{a="1"} 99

eval instant at 1m m
  {{schema:0 sum:1 count:1}}
`;

test("promqlTestCommand prints per-file results and the totals line, exit 1 on failure", async () => {
  const dir = mkdtempSync(join(tmpdir(), "promql-test-"));
  const file = join(dir, "x.test");
  writeFileSync(file, script);
  const lines: string[] = [];
  const code = await promqlTestCommand([file], (l) => lines.push(l));
  expect(code).toBe(1);
  expect(lines[0]).toBe("x.test: 1 passed, 1 failed, 1 skipped");
  expect(lines.at(-1)).toBe("1 passed, 1 failed, 1 skipped");
  writeFileSync(file, script.split("\n").slice(0, 6).join("\n"));
  expect(await promqlTestCommand([file], () => {})).toBe(0);
});
