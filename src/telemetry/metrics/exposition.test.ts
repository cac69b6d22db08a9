import { describe, expect, test } from "bun:test";
import { ExpositionError, type ParsedSample, parseExposition } from "./exposition";

describe("parseExposition", () => {
  const ok: { name: string; text: string; want: ParsedSample[] }[] = [
    { name: "bare sample", text: "up 1\n", want: [{ labels: { __name__: "up" }, value: 1 }] },
    {
      name: "labels, timestamp, trailing comma, blanks",
      text: 'http_requests_total{method="post", code="200",} 1027 1395066363000',
      want: [
        {
          labels: { __name__: "http_requests_total", method: "post", code: "200" },
          value: 1027,
          timestampMs: 1395066363000,
        },
      ],
    },
    {
      name: "escapes in label values",
      text: 'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\"",x="\\t"} 1.458255915e9',
      want: [
        {
          labels: {
            __name__: "msdos_file_access_time_seconds",
            path: "C:\\DIR\\FILE.TXT",
            error: 'Cannot find file:\n"FILE.TXT"',
            x: "\\t",
          },
          value: 1.458255915e9,
        },
      ],
    },
    {
      name: "special values and negative timestamp",
      text: "a NaN\nb +Inf\nc -Inf\nd Inf -5\ne 1e-3",
      want: [
        { labels: { __name__: "a" }, value: Number.NaN },
        { labels: { __name__: "b" }, value: Number.POSITIVE_INFINITY },
        { labels: { __name__: "c" }, value: Number.NEGATIVE_INFINITY },
        { labels: { __name__: "d" }, value: Number.POSITIVE_INFINITY, timestampMs: -5 },
        { labels: { __name__: "e" }, value: 0.001 },
      ],
    },
    {
      name: "HELP/TYPE and histogram as plain series, CRLF",
      text: [
        "# HELP rpc_duration_seconds A histogram.",
        "# TYPE rpc_duration_seconds histogram",
        "# just a comment",
        'rpc_duration_seconds_bucket{le="0.05"} 24054',
        'rpc_duration_seconds_bucket{le="+Inf"} 144320',
        "rpc_duration_seconds_sum 53423",
        "rpc_duration_seconds_count 144320",
        "",
      ].join("\r\n"),
      want: [
        { labels: { __name__: "rpc_duration_seconds_bucket", le: "0.05" }, value: 24054 },
        { labels: { __name__: "rpc_duration_seconds_bucket", le: "+Inf" }, value: 144320 },
        { labels: { __name__: "rpc_duration_seconds_sum" }, value: 53423 },
        { labels: { __name__: "rpc_duration_seconds_count" }, value: 144320 },
      ],
    },
    {
      name: "OpenMetrics: _created, exemplar, # EOF",
      text: '# TYPE foo counter\nfoo_total 17 # {trace_id="abc"} 1\nfoo_created 1520430000\n# EOF\ngarbage {{{',
      want: [
        { labels: { __name__: "foo_total" }, value: 17 },
        { labels: { __name__: "foo_created" }, value: 1520430000 },
      ],
    },
    {
      name: "label value containing # and }",
      text: 'x{a="#}"} 2',
      want: [{ labels: { __name__: "x", a: "#}" }, value: 2 }],
    },
    { name: "empty braces", text: "x{} 3", want: [{ labels: { __name__: "x" }, value: 3 }] },
  ];
  for (const c of ok) test(c.name, () => expect(parseExposition(c.text)).toEqual(c.want));

  const bad: { name: string; text: string; line: number; msg: RegExp }[] = [
    { name: "missing value", text: "up 1\nup", line: 2, msg: /missing value/ },
    { name: "bad value", text: "up one", line: 1, msg: /invalid value "one"/ },
    { name: "bad timestamp", text: "\n\nup 1 12.5", line: 3, msg: /invalid timestamp/ },
    { name: "unterminated label", text: 'up{a="1} 1', line: 1, msg: /unterminated value of label a/ },
    { name: "duplicate label", text: 'up{a="1",a="2"} 1', line: 1, msg: /duplicate label a/ },
    { name: "bad type", text: "# TYPE up thing\nup 1", line: 1, msg: /unknown metric type/ },
    { name: "bad name", text: "1up 1", line: 1, msg: /expected a metric name/ },
    { name: "extra field", text: "up 1 2 3", line: 1, msg: /unexpected text/ },
    { name: "unquoted value", text: "up{a=1} 1", line: 1, msg: /expected "/ },
  ];
  for (const c of bad) {
    test(`error: ${c.name}`, () => {
      let err: unknown;
      try {
        parseExposition(c.text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExpositionError);
      expect((err as ExpositionError).line).toBe(c.line);
      expect((err as Error).message).toMatch(new RegExp(`^line ${c.line}: `));
      expect((err as Error).message).toMatch(c.msg);
    });
  }
});
