import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

/**
 * The boundaries of the code base, read from the import graph. Decisions (the monitor's evaluators, SLO
 * math) stay free of storage, processes and the file system; the rate limiter stands alone; tickets are
 * created in exactly one place. A new import that crosses a line fails here with the file and the import.
 */

const root = join(import.meta.dir, "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && !e.name.startsWith(".")) out.push(...sourceFiles(rel));
    } else if (/\.(ts|tsx)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

const isTest = (f: string) => /\.test\.tsx?$/.test(f) || f.startsWith("src/testing/");

/** Every module a file names, type-only imports included (a type of `Database` still means SQL here). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*["']([^"']+)["']/g)].map(
    (m) => m[1] as string,
  );
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specs.push(m[1] as string);
  return specs.map((s) => (s.startsWith(".") ? normalize(join(dirname(file), s)) : s));
}

const all = [...sourceFiles("src"), ...sourceFiles("rate-limiter")];

/** Folders whose code decides: given data, it returns data. I/O is the caller's. */
const domain = ["src/monitor/", "src/slo/"];
/** Files in those folders that are edges on purpose, each with the reason. */
const domainEdges: Record<string, string> = {
  "src/monitor/rules-test.ts": "`harness rules test` loads the test's series into an in-memory metric store",
  "src/monitor/bench.ts": "a benchmark builds real stores",
};
const forbiddenInDomain: { test: (spec: string) => boolean; what: string }[] = [
  { test: (s) => s === "bun:sqlite", what: "SQLite (go through a repository in src/rules or src/tickets)" },
  { test: (s) => /^(node:)?child_process$/.test(s), what: "processes" },
  { test: (s) => /^(node:)?fs(\/promises)?$/.test(s), what: "the file system" },
  { test: (s) => /^src\/(db|workspace|sandbox|supervisor|deploy|web|api|cli)\b/.test(s), what: "an adapter" },
  { test: (s) => /^src\/telemetry\/(metrics|logs)\/store\b/.test(s), what: "a telemetry store" },
];

describe("architecture", () => {
  test("the domain folders import no storage, process, file system or adapter", () => {
    const problems: string[] = [];
    for (const f of all) {
      if (!domain.some((d) => f.startsWith(d)) || isTest(f) || f in domainEdges) continue;
      for (const spec of importsOf(f))
        for (const rule of forbiddenInDomain)
          if (rule.test(spec)) problems.push(`${f} imports ${spec}: ${rule.what}`);
      if (/\bBun\.spawn(Sync)?\b/.test(readFileSync(join(root, f), "utf8")))
        problems.push(`${f} calls Bun.spawn: processes`);
    }
    expect(problems).toEqual([]);
  });

  test("the rate limiter knows nothing of the harness", () => {
    const problems: string[] = [];
    for (const f of all.filter((f) => f.startsWith("rate-limiter/")))
      for (const spec of importsOf(f))
        if (spec.startsWith("src/") || spec.startsWith("..")) problems.push(`${f} imports ${spec}`);
    expect(problems).toEqual([]);
  });

  test("tickets are created only by the intake", () => {
    const problems: string[] = [];
    for (const f of all) {
      if (isTest(f) || f === "src/tickets/intake.ts" || f === "src/tickets/repo.ts") continue;
      const text = readFileSync(join(root, f), "utf8");
      if (/\btickets\.create\(/.test(text)) problems.push(`${f} creates a ticket itself`);
      if (/INSERT\s+INTO\s+tickets\b/i.test(text)) problems.push(`${f} inserts into tickets`);
      // core.ts wires the repository into the intake; nothing else may hold one that can create.
      if (f !== "src/core.ts" && importsOf(f).includes("src/tickets/repo") && /createTicketRepo\(/.test(text))
        problems.push(`${f} builds its own ticket repository`);
    }
    expect(problems).toEqual([]);
  });

  test("time is read from a Clock: Date.now() only in the system clocks", () => {
    const clocks = new Set(["src/lib/clock.ts", "rate-limiter/src/clock.ts"]);
    // Benchmarks and the fuzzer measure real runs of a real harness; they are not the product.
    const measuring = (f: string) => /(^|\/)(bench|fuzz)[^/]*(\/|\.ts$)|\/bench-/.test(f);
    const problems = all
      .filter((f) => !isTest(f) && !clocks.has(f) && !measuring(f))
      .filter((f) => /\bDate\.now\(\)/.test(readFileSync(join(root, f), "utf8")));
    expect(problems).toEqual([]);
  });

  test("the checks see the code base (a rule that reads nothing cannot fail)", () => {
    expect(all.filter((f) => domain.some((d) => f.startsWith(d))).length).toBeGreaterThan(10);
    expect(all.filter((f) => f.startsWith("rate-limiter/")).length).toBeGreaterThan(5);
    expect(importsOf("src/monitor/monitor.ts")).toContain("src/core");
  });
});
