import { expect, test } from "bun:test";
import { matchesLabel } from "./matchers";

test.each([
  [{ name: "m", op: "=~", value: "GET|POST" }, "GET", true],
  [{ name: "m", op: "=~", value: "GET" }, "GETX", false],
  [{ name: "m", op: "=~", value: "(?i)get" }, "GET", true],
  [{ name: "m", op: "!~", value: "(?i)get" }, "Get", false],
  [{ name: "m", op: "=~", value: "a.b" }, "a\nb", true],
  [{ name: "m", op: "=~", value: "(?P<verb>GET)|x(?i)post" }, "xPOST", true],
  [{ name: "m", op: "=~", value: "\\pL+" }, "héllo", true],
  [{ name: "m", op: "=", value: "" }, undefined, true],
  [{ name: "m", op: "!=", value: "" }, undefined, false],
] as const)("%p on %p → %p", (m, value, expected) => {
  expect(matchesLabel(m, value)).toBe(expected);
});
