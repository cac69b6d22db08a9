import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import { PromQLError } from "./promql-error";

/**
 * Rewrites what the lezer grammar lacks into same-length text it accepts; the evaluator still reads the
 * original source, so `min_of`/`max_of` keep their names and `1.` parses as the number 1.
 */
function parseable(expr: string): string {
  return expr
    .replace(/\b(min_of|max_of)(?=\s*\()/g, "absent")
    .replace(/(^|[^\w.])(\d+)\.(?![\d\w.])/g, (_m, pre: string, d: string) => `${pre}${d} `);
}

export function parse(expr: string): SyntaxNode {
  const tree = parser.parse(parseable(expr));
  let error: SyntaxNode | null = null;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && !error) error = n.node;
    },
  });
  if (error) {
    const e = error as SyntaxNode;
    throw new PromQLError(
      `1:${e.from + 1}: parse error: unexpected ${e.from >= expr.length ? "end of input" : `"${expr.slice(e.from, e.from + 10)}"`}`,
      e.from,
    );
  }
  return tree.topNode;
}
