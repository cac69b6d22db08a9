import { parser } from "@grafana/lezer-logql";
import type { SyntaxNode } from "@lezer/common";
import type { Labels, Matcher } from "../types";
import type { LineStore } from "./logs";

/** A LogQL log query (stream selector + line filters) over the embedded line store; metric queries later. */
export class LogQLError extends Error {
  constructor(
    message: string,
    readonly position = 0,
  ) {
    super(message);
    this.name = "LogQLError";
  }
}

export interface LogQuery {
  matchers: Matcher[];
  filters: { op: "|=" | "!=" | "|~" | "!~"; value: string }[];
}

const kids = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

function collect(n: SyntaxNode, name: string, out: SyntaxNode[] = []): SyntaxNode[] {
  for (const c of kids(n)) {
    if (c.name === name) out.push(c);
    else collect(c, name, out);
  }
  return out;
}

export function parseLogQuery(q: string): LogQuery {
  const tree = parser.parse(q);
  let error: SyntaxNode | null = null;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && !error) error = n.node;
    },
  });
  if (error)
    throw new LogQLError(
      `parse error at position ${(error as SyntaxNode).from + 1} of the query`,
      (error as SyntaxNode).from,
    );
  const root = tree.topNode;
  const text = (n: SyntaxNode) => q.slice(n.from, n.to);
  if (collect(root, "MetricExpr").length)
    throw new LogQLError(
      "metric queries (count_over_time, rate, …) are not supported by the embedded log store yet",
    );
  for (const unsupported of [
    "LabelParser",
    "JsonExpressionParser",
    "LabelFilter",
    "LineFormatExpr",
    "LabelFormatExpr",
    "DropLabelsExpr",
    "KeepLabelsExpr",
    "DecolorizeExpr",
  ]) {
    const hit = collect(root, unsupported)[0];
    if (hit)
      throw new LogQLError(
        `unsupported stage "${text(hit).split(/\s/)[0]}": the embedded log store supports stream selectors and line filters`,
      );
  }
  const matchers: Matcher[] = collect(root, "Matcher").map((m) => {
    const [id, op, str] = kids(m);
    return {
      name: text(id as SyntaxNode),
      op: text(op as SyntaxNode) as Matcher["op"],
      value: JSON.parse(text(str as SyntaxNode)),
    };
  });
  if (
    !matchers.some(
      (m) => (m.op === "=" && m.value !== "") || (m.op === "=~" && !new RegExp(`^(?:${m.value})$`).test("")),
    )
  ) {
    throw new LogQLError("queries require at least one matcher that does not match the empty string");
  }
  const filters = collect(root, "LineFilter").map((f) => {
    const [filter, str] = kids(f);
    const op = text(filter as SyntaxNode) as LogQuery["filters"][number]["op"];
    const raw = text(str as SyntaxNode);
    return { op, value: raw.startsWith("`") ? raw.slice(1, -1) : JSON.parse(raw) };
  });
  return { matchers, filters };
}

const matches = (m: Matcher, v: string) =>
  m.op === "="
    ? v === m.value
    : m.op === "!="
      ? v !== m.value
      : m.op === "=~"
        ? new RegExp(`^(?:${m.value})$`).test(v)
        : !new RegExp(`^(?:${m.value})$`).test(v);

export interface LogLine {
  t: number;
  labels: Labels;
  line: string;
}

/** Newest first, at most `limit` lines in [startMs, endMs]. */
export function queryLogs(
  store: LineStore,
  q: string,
  startMs: number,
  endMs: number,
  limit: number,
): LogLine[] {
  const parsed = parseLogQuery(q);
  const tests = parsed.filters.map((f) => {
    const re = f.op === "|~" || f.op === "!~" ? new RegExp(f.value) : null;
    return (line: string) =>
      f.op === "|="
        ? line.includes(f.value)
        : f.op === "!="
          ? !line.includes(f.value)
          : f.op === "|~"
            ? (re as RegExp).test(line)
            : !(re as RegExp).test(line);
  });
  const contains = parsed.filters.find((f) => f.op === "|=")?.value;
  const out: LogLine[] = [];
  for (const row of store.scan(startMs, endMs, contains)) {
    if (!parsed.matchers.every((m) => matches(m, row.labels[m.name] ?? ""))) continue;
    if (!tests.every((t) => t(row.line))) continue;
    out.push(row);
    if (out.length >= limit) break;
  }
  return out;
}
