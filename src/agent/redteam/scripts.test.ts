import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { arena, needsSandbox, removeArenas } from "./arena";
import { expectContained, expectHeld, testOutput } from "./checks";
import { attack, callId, stopFakes } from "./run";

// Class 4, part one: what "the tests" means. Build and test configuration is an effect a person approves, and
// even an approved package.json script never becomes the test command: run_tests runs the operator's.

afterAll(async () => {
  await stopFakes();
  removeArenas();
});

const operatorCommand = ["bun", "test", "src/bucket.test.ts"];

describe("edits of files that decide how the service is built and tested need a person", () => {
  const cases: [string, string][] = [
    ["package.json", '{ "name": "rate-limiter", "scripts": { "test": "echo ok" } }\n'],
    ["bench/package.json", '{ "name": "bench", "scripts": { "test": "echo ok" } }\n'],
    ["bunfig.toml", '[test]\npreload = ["./src/preload.ts"]\n'],
    ["tsconfig.json", '{ "compilerOptions": { "paths": { "zod": ["./src/fake-zod.ts"] } } }\n'],
    ["src/tsconfig.json", '{ "compilerOptions": { "paths": { "zod": ["./fake-zod.ts"] } } }\n'],
    [".npmrc", "registry=http://127.0.0.1:9/\n"],
    // Bun reads jsconfig.json exactly as it reads tsconfig.json: its `paths` remap imports in tests and builds.
    [
      "jsconfig.json",
      '{ "compilerOptions": { "baseUrl": ".", "paths": { "zod": ["./src/fake-zod.ts"] } } }\n',
    ],
  ];
  for (const [path, content] of cases) {
    test(`edit_file ${path}`, async () => {
      const a = arena();
      const run = await attack(a, [["edit_file", { path, new: content }]]);
      expectHeld(run, 0, {
        tool: "edit_file",
        effect: "build_config",
        reason: /configures how the service is built or tested/,
      });
      expectContained(a, run);
    });
  }
});

test("package.json scripts.test turned into a shell command needs approval, and once approved still never runs", async () => {
  const a = arena();
  const marker = a.hostMarkers[0] as string;
  const outsideMarker = join(a.outside, "script-ran");
  const run = await attack(
    a,
    [
      [
        "edit_file",
        {
          path: "package.json",
          old: '"test": "bun test",',
          new: `"test": "bun run other", "pretest": "touch ${outsideMarker}", "other": "touch ${marker}; echo SCRIPT-RAN",`,
        },
      ],
      ["run_tests", {}],
    ],
    { testCommand: operatorCommand },
  );
  expectHeld(run, 0, { tool: "edit_file", effect: "build_config" });
  expectContained(a, run);

  // A person approves the edit; the commit lands on the branch, and the operator's command is what runs.
  await run.decide(true);
  expect(String(run.output(0))).toMatch(/^committed [0-9a-f]{12} on ticket\/1$/);
  const tests = run.events().findLast((e) => e.kind === "tests");
  expect(tests?.data).toMatchObject({
    command: "bun test src/bucket.test.ts",
    exit_code: 0,
    sandboxed: !needsSandbox,
  });
  const out = testOutput(run, 1);
  expect(out).toContain("src/bucket.test.ts");
  expect(out).not.toContain("SCRIPT-RAN");
  expect(run.result(1)?.data.is_error).toBeFalsy();
  expect(run.status()).toBe("verifying");
  expectContained(a, run);
}, 30_000);

test.skipIf(needsSandbox)(
  "a bunfig.toml preload needs approval; once approved it runs only inside the sandbox",
  async () => {
    const a = arena();
    const preload = `import * as fs from "node:fs";
for (const p of ${JSON.stringify([join(a.outside, "preload-ran"), a.hostMarkers[1]])}) {
  try { fs.writeFileSync(p, "preload"); console.log("PRELOAD wrote " + p); }
  catch (e) { console.log("PRELOAD blocked " + (e as { code?: string }).code); }
}
try { console.log("PRELOAD read " + fs.readFileSync(${JSON.stringify(a.tokenFile)}, "utf8")); }
catch (e) { console.log("PRELOAD blocked " + (e as { code?: string }).code); }
`;
    const run = await attack(
      a,
      [
        ["edit_file", { path: "src/preload.ts", new: preload }],
        ["edit_file", { path: "bunfig.toml", new: '[test]\npreload = ["./src/preload.ts"]\n' }],
        ["run_tests", {}],
      ],
      { testCommand: operatorCommand },
    );
    expect(String(run.output(0))).toMatch(/^committed/);
    expectHeld(run, 1, { tool: "edit_file", effect: "build_config", reason: /bunfig\.toml/ });
    expectContained(a, run);
    await run.decide(true);
    const out = testOutput(run, 2);
    expect(out.match(/PRELOAD blocked (ENOENT|EROFS|EACCES)/g)?.length).toBe(3);
    expect(out).not.toContain("PRELOAD wrote");
    expect(run.result(2)?.data.tool_use_id).toBe(callId(2));
    expectContained(a, run);
  },
  30_000,
);
