import { expect, test } from "bun:test";
import { AppError } from "../lib/errors";
import { compileRegex, RegexSyntaxError, translateRegex } from "./regex";

// [RE2 pattern, text, anchored (label matchers, label_replace), search (LogQL line filters)] — what Go's
// regexp answers for `^(?s:re)$` and for `re` as written.
test.each([
  ["GET|POST", "GET", true, true],
  ["GET", "GETX", false, true],
  ["a.b", "a\nb", true, false], // Prometheus adds (?s); a line filter does not
  ["a.b", "a\rb", true, true], // RE2's `.` stops only at \n, JavaScript's also at \r
  ["(?-s:a.b)", "a\nb", false, false],
  ["(?s)a.b", "a\nb", true, true],
  ["(?i)get", "GET", true, true],
  ["x|(?i)get", "GeT", true, true], // a flag holds across the branches after it
  ["(a(?i)b|c)d", "CD", false, false], // and ends with its group
  ["(?i:a)b", "AB", false, false],
  ["(?i)a(?-i)b", "Ab", true, true],
  ["(?m)^b$", "a\nb\nc", false, true],
  ["^b$", "a\nb\nc", false, false],
  ["a\\z", "ab", false, false],
  ["\\Aa", "ba", false, false],
  ["(?P<n>a)b", "ab", true, true],
  ["(?<n>a)b", "ab", true, true],
  ["\\Qa.b\\E", "axb", false, false],
  ["\\Qa.b\\E", "a.b", true, true],
  ["\\Qa.b", "a.b", true, true], // no \E: literal to the end
  ["[[:alpha:]]+", "abc", true, true],
  ["[[:digit:][:upper:]]+", "A1", true, true],
  ["[[:punct:]]", "`", true, true],
  ["\\pL+", "héllo", true, true],
  ["\\p{Greek}", "α", true, true],
  ["\\PL", "1", true, true],
  ["\\p{^Greek}", "α", false, false],
  ["[\\pN_]+", "1_2", true, true],
  ["\\s", "\v", false, false], // RE2's \s is [\t\n\f\r ]
  ["\\S", "\u00a0", true, true],
  ["\\d+", "٣", false, false], // ASCII digits only, as RE2
  ["\\x41\\x{1F600}\\101\\0", "A😀A\0", true, true],
  ["^.$", "😀", true, true], // one code point, as RE2 reads UTF-8
  ["a{,3}", "a{,3}", true, true], // not a repeat in RE2: literal
  ["a{2}", "aa", true, true],
  ["a{2,}", "aaa", true, true],
  ['\\-\\"\\#', '-"#', true, true],
  ["[a-]", "-", true, true],
  ["[]a]", "]", true, true],
  ["[^]a]", "b", true, true],
  ["[^a]", "\n", true, true],
  ["]", "]", true, true],
  ["}", "}", true, true],
  ["(?U)a+", "aaa", true, true],
])("%p on %p: anchored %p, search %p", (re, text, anchored, search) => {
  expect(compileRegex(re, "anchored").test(text)).toBe(anchored);
  expect(compileRegex(re, "search").test(text)).toBe(search);
});

test("(?U) swaps greedy and lazy", () => {
  expect(compileRegex("(?U)a+", "search").exec("aaa")?.[0]).toBe("a");
  expect(compileRegex("(?U)a+?", "search").exec("aaa")?.[0]).toBe("aaa");
});

test("named groups keep their names for label_replace's $name", () => {
  expect(compileRegex("(?P<svc>[a-z]+)-(\\d+)", "anchored").exec("api-7")?.groups).toEqual({ svc: "api" });
});

test.each([
  ["(?=a)", "lookarounds are not supported by RE2"],
  ["(?<!a)b", "lookarounds are not supported by RE2"],
  ["(a)\\1", "invalid escape sequence"],
  ["(?P=n)", "backreferences are not supported by RE2"],
  ["\\C", "\\C (any byte) is not supported"],
  ["\\Z", "invalid escape sequence"],
  ["\\e", "invalid escape sequence"],
  ["a{1001}", "invalid repeat count"],
  ["a{3,2}", "invalid repeat count"],
  ["(a", "missing closing )"],
  ["a)", "unexpected )"],
  ["[a", "missing closing ]"],
  ["[z-a]", "invalid character class range"],
  ["[[:^alpha:]]", "invalid character class range"],
  ["[[:alfa:]]", "invalid character class range"],
  ["[\\Qa\\E]", "\\Q…\\E inside a character class"],
  ["(?#comment)", "invalid or unsupported Perl syntax"],
  ["(?i-)a", "invalid or unsupported Perl syntax"],
  ["a\\", "trailing backslash"],
  ["*a", "error parsing regexp"],
  ["a**", "error parsing regexp"],
])("%p is refused the same way everywhere: %s", (re, message) => {
  for (const mode of ["anchored", "search"] as const) {
    const err = (() => {
      try {
        compileRegex(re, mode);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RegexSyntaxError);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).toContain(`\`${re}\``);
  }
});

test("the query limits apply before anything is compiled", () => {
  expect(() => compileRegex("(a+)+b", "anchored")).toThrow(AppError);
  expect(() => compileRegex("(a+)+b", "search")).toThrow(/nested quantifiers/);
  expect(() => compileRegex("a".repeat(40_000), "search")).toThrow(/max_regex_length/);
});

test("anchoring wraps the whole pattern, so an alternation cannot escape it", () => {
  expect(translateRegex("a|b", "anchored")).toEqual({ source: "^(?:a|b)$", flags: "u" });
  expect(translateRegex("a|b", "search")).toEqual({ source: "a|b", flags: "u" });
  expect(compileRegex("a|b", "anchored").test("ab")).toBe(false);
});

test("compiled patterns are cached per mode", () => {
  expect(compileRegex("x+", "anchored")).toBe(compileRegex("x+", "anchored"));
  expect(compileRegex("x+", "anchored")).not.toBe(compileRegex("x+", "search"));
});
