import { expect, test } from "bun:test";
import { Redactor } from "./redact";

test.each([
  ["Authorization: Bearer abc.def-123456789", "abc.def-123456789"],
  ["curl -H 'Bearer zzzzzzzzzzzz'", "zzzzzzzzzzzz"],
  ["x-api-key=sk-ant-api03-abcdefghijklmnop", "abcdefghijklmnop"],
  ['{"password": "hunter2hunter2"}', "hunter2hunter2"],
  ["token=abcdefgh1234", "abcdefgh1234"],
])("redacts %p", (input, secret) => {
  const out = new Redactor().text(input);
  expect(out).not.toContain(secret);
  expect(out).toContain("[REDACTED]");
});

test("literal secrets and secret-named keys", () => {
  const r = new Redactor(["my-configured-secret-value"]);
  expect(r.text("echo my-configured-secret-value")).toBe("echo [REDACTED]");
  expect(
    r.value({ nested: { apiKey: "whatever", ok: "fine" }, list: ["my-configured-secret-value"] }),
  ).toEqual({
    nested: { apiKey: "[REDACTED]", ok: "fine" },
    list: ["[REDACTED]"],
  });
});

test("ordinary text is left alone", () => {
  expect(new Redactor().text("denied 42 requests for key user:7")).toBe("denied 42 requests for key user:7");
});
