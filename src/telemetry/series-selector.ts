import type { SyntaxNode } from "@lezer/common";
import { AppError } from "../lib/errors";
import { matchesLabel } from "./matchers";
import { parse } from "./promql/promql-parse";
import { kids, unquoteGo } from "./promql/promql-util";
import type { Matcher } from "./types";

const bad = (message: string) => new AppError("invalid", message);

/**
 * A `match[]` series selector (`up`, `up{job="x"}`, `{__name__=~"a.+", b!='c'}`) parsed by the PromQL grammar, as
 * Prometheus's `parser.ParseMetricSelector` does: anything but a bare vector selector, or one whose matchers all
 * match the empty string (it would select every series), is the caller's bad_data.
 */
export function parseSeriesSelector(text: string): Matcher[] {
  let top: SyntaxNode;
  try {
    top = parse(text);
  } catch (err) {
    throw bad(`invalid parameter "match[]": ${(err as Error).message}`);
  }
  const sel = kids(top)[0];
  if (sel?.name !== "VectorSelector" || kids(top).length !== 1)
    throw bad(`invalid parameter "match[]": "${text}" is not a series selector`);
  const src = (n: SyntaxNode) => text.slice(n.from, n.to);
  const out: Matcher[] = [];
  for (const c of kids(sel)) {
    if (c.name === "Identifier") out.push({ name: "__name__", op: "=", value: src(c) });
    if (c.name !== "LabelMatchers") continue;
    for (const m of kids(c)) {
      const parts = kids(m);
      const literal = (p: SyntaxNode | undefined) => unquoteGo(src(p as SyntaxNode));
      // `{"metric"}`: a quoted metric name on its own.
      if (m.name === "QuotedLabelName") {
        out.push({ name: "__name__", op: "=", value: literal(parts[0]) });
        continue;
      }
      const nameNode = parts.find((p) => p.name === "LabelName" || p.name === "QuotedLabelName");
      const op = parts.find((p) => p.name === "MatchOp");
      const value = parts.filter((p) => p.name === "StringLiteral").at(-1);
      if (!nameNode || !op || !value) throw bad(`invalid parameter "match[]": bad matcher "${src(m)}"`);
      const name = nameNode.name === "QuotedLabelName" ? literal(kids(nameNode)[0]) : src(nameNode);
      out.push({ name, op: src(op) as Matcher["op"], value: literal(value) });
    }
  }
  // Compiles every regex once (cached for the store's own matching): a bad one is the caller's, like Go's.
  let matchesEverything: boolean;
  try {
    matchesEverything = out.every((m) => matchesLabel(m, ""));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw bad(`invalid parameter "match[]": ${(err as Error).message}`);
  }
  if (matchesEverything) {
    throw bad(
      `invalid parameter "match[]": vector selector "${text}" must contain at least one non-empty matcher`,
    );
  }
  return out;
}
