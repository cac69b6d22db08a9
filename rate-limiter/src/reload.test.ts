import { afterAll, afterEach, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigFile } from "./config";
import { createReloader, type Reloader } from "./reload";
import { tempDirs } from "./testing/temp";

const dirs = tempDirs("rl-reload-");
afterAll(() => dirs.cleanup());

let reloader: Reloader | undefined;
afterEach(() => reloader?.stop());

const policy = (capacity: number) => `default: { name: d, capacity: ${capacity}, refill_per_second: 1 }\n`;

test("an invalid file is rejected with its reason and the previous config stays in force", () => {
  const path = join(dirs.make(), "c.yaml");
  writeFileSync(path, policy(5));
  const results: { ok: boolean; error?: string; hash?: string }[] = [];
  // A long poll interval: this test drives reloads itself.
  reloader = createReloader(path, loadConfigFile(path), (ok, d) => results.push({ ok, ...d }), 60_000);
  const first = reloader.current().hash;

  writeFileSync(path, "default: { name: d, capacity: lots }\n");
  expect(reloader.reload("test")).toBe(false);
  expect(reloader.current().fallback.capacity).toBe(5);
  expect(reloader.current().hash).toBe(first);
  expect(results.at(-1)).toMatchObject({ ok: false });
  expect(results.at(-1)?.error).toContain("default.capacity");

  writeFileSync(path, policy(9));
  expect(reloader.reload("test")).toBe(true);
  expect(reloader.current().fallback.capacity).toBe(9);
  expect(results.at(-1)).toMatchObject({ ok: true, hash: reloader.current().hash });
});

test("a file that disappears is a failed reload, not a crash", () => {
  const dir = dirs.make();
  const path = join(dir, "c.yaml");
  writeFileSync(path, policy(3));
  const outcomes: boolean[] = [];
  reloader = createReloader(path, loadConfigFile(path), (ok) => outcomes.push(ok), 60_000);
  expect(reloader.reload("test")).toBe(true); // unchanged bytes: nothing to report
  expect(outcomes).toEqual([]);
  rmSync(path);
  expect(reloader.reload("test")).toBe(false);
  expect(outcomes).toEqual([false]);
  expect(reloader.current().fallback.capacity).toBe(3);
});

test("one bad file is one rejection, however many change events it makes; an explicit reload judges it again", () => {
  const path = join(dirs.make(), "c.yaml");
  writeFileSync(path, policy(5));
  const results: boolean[] = [];
  reloader = createReloader(path, loadConfigFile(path), (ok) => results.push(ok), 60_000);
  writeFileSync(path, "default: { capacity: oops }\n");
  for (let i = 0; i < 3; i++) expect(reloader.reload("file changed")).toBe(false);
  expect(results).toEqual([false]);
  expect(reloader.reload("SIGHUP")).toBe(false);
  expect(results).toEqual([false, false]);
  writeFileSync(path, policy(6));
  expect(reloader.reload("file changed")).toBe(true);
  expect(results).toEqual([false, false, true]);
  expect(reloader.current().fallback.capacity).toBe(6);
});

test("an empty file on reload is taken for a write caught halfway: rejected, the limits stay", () => {
  const path = join(dirs.make(), "c.yaml");
  writeFileSync(path, policy(5));
  const errors: string[] = [];
  reloader = createReloader(
    path,
    loadConfigFile(path),
    (ok, d) => errors.push(ok ? "ok" : `${d.error}`),
    60_000,
  );
  writeFileSync(path, "");
  expect(reloader.reload("file changed")).toBe(false);
  expect(errors).toEqual(["the file is empty (a write in progress?)"]);
  expect(reloader.current().fallback.capacity).toBe(5);
});

test("a burst of writes is read once, after it settles", async () => {
  const path = join(dirs.make(), "c.yaml");
  writeFileSync(path, policy(5));
  const results: { ok: boolean; hash: string | undefined }[] = [];
  reloader = createReloader(
    path,
    loadConfigFile(path),
    (ok, d) => results.push({ ok, hash: d.hash }),
    60_000,
    200,
  );
  for (const capacity of [6, 7, 8]) writeFileSync(path, policy(capacity));
  const deadline = Date.now() + 5000;
  while (results.length === 0 && Date.now() < deadline) await Bun.sleep(20);
  await Bun.sleep(400);
  expect(results).toEqual([{ ok: true, hash: loadConfigFile(path).hash }]);
  expect(reloader.current().fallback.capacity).toBe(8);
});
