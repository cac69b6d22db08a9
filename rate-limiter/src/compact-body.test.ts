import { expect, test } from "bun:test";
import { compactCheckBody } from "./compact-body";
import { BadRequest, checkBody } from "./requests";

/** What the general way makes of a body: the checked value, or the 400's message. */
function general(text: string): unknown {
  try {
    return checkBody(JSON.parse(text));
  } catch (err) {
    return err instanceof BadRequest ? `error: ${err.message}` : "error: not JSON";
  }
}
const compact = (text: string) => {
  const b = Buffer.from(text);
  return compactCheckBody(b, 0, b.length);
};

test.each([
  ['{"key":"a"}', { key: "a", hits: 1 }],
  ['{"key":"bench-hot","hits":1}', { key: "bench-hot", hits: 1 }],
  ['{"key":"user:42/x y","hits":0}', { key: "user:42/x y", hits: 0 }],
  ['{"key":"a","hits":1000000}', { key: "a", hits: 1_000_000 }],
  [`{"key":"${"k".repeat(1024)}"}`, { key: "k".repeat(1024), hits: 1 }],
])("%s is read straight from its bytes", (text, want) => {
  expect(compact(text)).toEqual(want);
  expect(general(text)).toEqual(want);
});

// Everything here goes the general way: either it is not the compact form, or it is an error there.
test.each([
  '{"key":"a","hits":1000001}',
  '{"key":"a","hits":01}',
  '{"key":"a","hits":-1}',
  '{"key":"a","hits":1.5}',
  '{"key":"a","hits":1e3}',
  '{"key":"a","hits":"2"}',
  '{"key":"a","hits":}',
  '{"key":"a","hits":1',
  '{"key":"a","hits":1}x',
  '{"key":"a"} ',
  '{"key":"a" }',
  '{ "key":"a"}',
  '{"key":""}',
  `{"key":"${"k".repeat(1025)}"}`,
  '{"key":"a\\"b"}',
  '{"key":"a\\u0041"}',
  '{"key":"é"}',
  '{"key":"a\tb"}',
  '{"key":"a","key":"b"}',
  '{"key":"a","hits":1,"domain":"d"}',
  '{"hits":1,"key":"a"}',
  '{"key":"a',
  '{"key":',
  "",
])("%s goes the general way", (text) => {
  expect(compact(text)).toBeUndefined();
});

test("on random bodies near the compact form, whatever it takes agrees with the general way", () => {
  // A fixed-seed generator, so a failure repeats.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['"', "\\", "}", "{", ",", ":", "0", "1", "9", "a", " ", "-", ".", "e", "é", "\u0000"];
  const seeds = ['{"key":"abc","hits":12}', '{"key":"x"}', '{"key":"a","hits":0}'];
  let taken = 0;
  for (let i = 0; i < 20_000; i++) {
    const chars = [...(seeds[rand(seeds.length)] as string)];
    for (let m = rand(3) + 1; m > 0; m--) {
      const at = rand(chars.length + 1);
      const op = rand(3);
      const c = alphabet[rand(alphabet.length)] as string;
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    const text = chars.join("");
    const got = compact(text);
    if (got === undefined) continue;
    taken++;
    expect({ text, got }).toEqual({ text, got: general(text) as never });
  }
  expect(taken).toBeGreaterThan(100);
});

test("reads the body where it lies in a larger buffer", () => {
  const b = Buffer.from('xx{"key":"k","hits":3}yy');
  expect(compactCheckBody(b, 2, b.length - 2)).toEqual({ key: "k", hits: 3 });
  expect(compactCheckBody(b, 2, b.length - 1)).toBeUndefined();
});
