import { expect, test } from "bun:test";
import { AppError } from "../lib/errors";
import { readParams } from "./read-params";
import { parseSeriesSelector } from "./series-selector";

test.each([
  ["up", [{ name: "__name__", op: "=", value: "up" }]],
  [
    'up{job="a",}',
    [
      { name: "__name__", op: "=", value: "up" },
      { name: "job", op: "=", value: "a" },
    ],
  ],
  [
    "{__name__=~'x.+', b!=`c\\d`}",
    [
      { name: "__name__", op: "=~", value: "x.+" },
      { name: "b", op: "!=", value: "c\\d" },
    ],
  ],
  [
    '{"up", job="a\\"b"}',
    [
      { name: "__name__", op: "=", value: "up" },
      { name: "job", op: "=", value: 'a"b' },
    ],
  ],
])("match[] %s", (text, matchers) => {
  expect(parseSeriesSelector(text)).toEqual(matchers as never);
});

test.each([
  ["rate(up[5m])", "not a series selector"],
  ["up[5m]", "not a series selector"],
  ["up + up", "not a series selector"],
  ["up{", "parse error"],
  ['{job=~".*"}', "at least one non-empty matcher"],
  ['{job=""}', "at least one non-empty matcher"],
])("match[] %s is bad_data (%s)", (text, message) => {
  let err: unknown;
  try {
    parseSeriesSelector(text);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("invalid");
  expect((err as AppError).message).toContain(message);
});

const post = (url: string, body: string, type: string) =>
  new Request(url, { method: "POST", body, headers: { "content-type": type } });

test("a form body and the query string merge: the body's value first, repeated match[] from both", async () => {
  const p = await readParams(
    post(
      "http://h/api/v1/series?match[]=a&start=1",
      "match[]=b&match[]=c&start=2",
      "application/x-www-form-urlencoded; charset=utf-8",
    ),
  );
  expect(p.getAll("match[]")).toEqual(["b", "c", "a"]);
  expect(p.get("start")).toBe("2");
});

test("a body that is not a form is ignored, as Prometheus ignores it", async () => {
  const p = await readParams(post("http://h/api/v1/labels?match[]=a", "match[]=b", "application/json"));
  expect(p.getAll("match[]")).toEqual(["a"]);
});

test("a form body over the open-read limit is too_large", async () => {
  const err = await readParams(
    post(
      "http://h/api/v1/labels",
      `match[]=${"x".repeat(1024 * 1024 + 1)}`,
      "application/x-www-form-urlencoded",
    ),
  ).catch((e: AppError) => e);
  expect((err as AppError).code).toBe("too_large");
});

test("a regex that does not compile is bad_data", () => {
  expect(() => parseSeriesSelector('{job=~"("}')).toThrow(AppError);
});
