import { expect, test } from "bun:test";
import { FakeClock } from "./clock";

const T0 = Date.UTC(2026, 0, 1);

test.each([
  ["nothing due yet", 9, []],
  ["timers fire in order of due time, each at its time", 30, ["t@10", "i@15", "t2@20", "i@30"]],
  [
    "an interval keeps re-arming; a cleared timer never fires",
    100,
    ["t@10", "i@15", "t2@20", "i@30", "i@45", "i@60", "i@75", "i@90"],
  ],
] as const)("FakeClock: %s", (_name, advance, want) => {
  const clock = new FakeClock(T0);
  const fired: string[] = [];
  const at = (name: string) => () => fired.push(`${name}@${clock.now() - T0}`);
  clock.setTimeout(at("t2"), 20);
  clock.setTimeout(at("t"), 10);
  clock.setInterval(at("i"), 15);
  clock.clearTimeout(clock.setTimeout(at("cleared"), 5));
  clock.advance(advance);
  expect(fired).toEqual([...want]);
  expect(clock.now()).toBe(T0 + advance);
});

test("FakeClock: a sleep resolves when time reaches it; a cleared interval leaves nothing pending", async () => {
  const clock = new FakeClock(T0);
  let woke = false;
  const sleeping = clock.sleep(50).then(() => {
    woke = true;
  });
  const i = clock.setInterval(() => {}, 10);
  clock.advance(49);
  await Promise.resolve();
  expect(woke).toBe(false);
  clock.advance(1);
  await sleeping;
  expect(woke).toBe(true);
  clock.clearInterval(i);
  expect(clock.pendingTimers).toBe(0);
});
