import { afterAll, afterEach, expect, test } from "bun:test";
import { rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "./clock";
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
  // A clock that never moves: this test drives reloads itself.
  reloader = createReloader(path, loadConfigFile(path), (ok, d) => results.push({ ok, ...d }), {
    clock: new FakeClock(),
  });
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
  reloader = createReloader(path, loadConfigFile(path), (ok) => outcomes.push(ok), {
    clock: new FakeClock(),
  });
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
  reloader = createReloader(path, loadConfigFile(path), (ok) => results.push(ok), { clock: new FakeClock() });
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
  reloader = createReloader(path, loadConfigFile(path), (ok, d) => errors.push(ok ? "ok" : `${d.error}`), {
    clock: new FakeClock(),
  });
  writeFileSync(path, "");
  expect(reloader.reload("file changed")).toBe(false);
  expect(errors).toEqual(["the file is empty (a write in progress?)"]);
  expect(reloader.current().fallback.capacity).toBe(5);
});

test("a change the poll sees is read once it has settled; a further change meanwhile restarts the wait", () => {
  const path = join(dirs.make(), "c.yaml");
  // Modification times set by hand: a file system may stamp quick writes alike, and the poll compares them.
  let mtime = 1_700_000_000;
  const write = (capacity: number) => {
    writeFileSync(path, policy(capacity));
    utimesSync(path, mtime, mtime++);
  };
  write(5);
  const clock = new FakeClock();
  const results: { ok: boolean; hash: string | undefined }[] = [];
  reloader = createReloader(path, loadConfigFile(path), (ok, d) => results.push({ ok, hash: d.hash }), {
    pollMs: 100,
    settleMs: 250,
    clock,
  });
  write(6);
  write(7);
  clock.advance(100); // the poll sees the change; the read waits for 250 ms of quiet
  clock.advance(50);
  write(8);
  clock.advance(50); // the next poll sees another change: the wait starts again
  clock.advance(249);
  expect(results).toEqual([]);
  clock.advance(1);
  expect(results).toEqual([{ ok: true, hash: loadConfigFile(path).hash }]);
  expect(reloader.current().fallback.capacity).toBe(8);
  clock.advance(10_000); // nothing changed since: nothing more is read
  expect(results).toHaveLength(1);
});
