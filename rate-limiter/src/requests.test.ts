import { expect, test } from "bun:test";
import { BadRequest, CheckBody, checkBody, parse } from "./requests";
import { splitUrl } from "./routes";

// The hand-written fast path must agree with the schema on every input: same value, or the schema's error.
const inputs: unknown[] = [
  { key: "a" },
  { key: "a", hits: 0 },
  { key: "a", hits: 5 },
  { key: "a", hits: 1_000_000 },
  { key: "a", hits: 1_000_001 },
  { key: "a", hits: -1 },
  { key: "a", hits: 1.5 },
  { key: "a", hits: "2" },
  { key: "" },
  { key: "x".repeat(1024) },
  { key: "x".repeat(1025) },
  { key: 5 },
  { key: "a", domain: "d" },
  { key: "a", descriptors: [{ key: "k", value: "v" }] },
  { descriptors: [{ key: "k", value: "v" }], hits: 2 },
  { hits: 1 },
  {},
  [],
  null,
  "a",
  { key: "a", extra: true },
];

test.each(inputs.map((i) => [JSON.stringify(i), i]))("checkBody(%s) agrees with the schema", (_, input) => {
  const viaSchema = (() => {
    try {
      return parse(CheckBody, input);
    } catch (err) {
      return err as BadRequest;
    }
  })();
  if (viaSchema instanceof BadRequest) expect(() => checkBody(input)).toThrow(viaSchema.message);
  else expect(checkBody(input)).toEqual(viaSchema);
});

test.each([
  ["http://h:1/v1/check", "/v1/check", ""],
  ["http://h/v1/check?status=429", "/v1/check", "status=429"],
  ["http://h/v1/buckets/a%2Fb?x=1#frag", "/v1/buckets/a%2Fb", "x=1"],
  ["http://h/p#f?x", "/p", ""],
  ["http://h", "/", ""],
])("splitUrl(%s)", (url, path, query) => {
  expect(splitUrl(url)).toEqual({ path, query });
  expect(path).toBe(url === "http://h" ? "/" : new URL(url).pathname);
});
