// Bun macros: run at bundle time, so `bun build --compile` bakes these files into the binary
// and a machine with only the `harness` executable can materialise and run the service.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const repoRoot = join(import.meta.dir, "../..");
const skip = new Set(["node_modules", ".git", "dist", ".harness"]);

export function serviceSources(): Record<string, string> {
  const root = join(repoRoot, "rate-limiter");
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (skip.has(name)) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p, "utf8");
    }
  };
  walk(root);
  return out;
}

/** The service's runtime dependencies, each bundled into one CommonJS file under node_modules/. */
export function vendoredPackages(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["prom-client", "zod"]) {
    // Bun.build would deadlock inside a macro; the CLI in a child process does not.
    const result = Bun.spawnSync(
      [process.execPath, "build", Bun.resolveSync(name, repoRoot), "--target=bun", "--format=cjs"],
      { env: { ...process.env, BUN_BE_BUN: "1" } },
    );
    if (result.exitCode !== 0) throw new Error(`could not bundle ${name}: ${result.stderr.toString()}`);
    const pkg = JSON.parse(readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8"));
    out[`node_modules/${name}/package.json`] = JSON.stringify({
      name,
      version: pkg.version,
      main: "index.js",
    });
    out[`node_modules/${name}/index.js`] = result.stdout.toString();
  }
  return out;
}
