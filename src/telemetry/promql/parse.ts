import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import type { Expr } from "./ast";
import { buildAst } from "./ast-build";
import { PromQLError } from "./errors";
import { typeOf } from "./typecheck";

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

/** Parses a PromQL expression into the typed AST, throwing PromQLError with Prometheus-style positions. */
export function parsePromQL(expr: string): Expr {
  const ast = buildAst(parse(expr), expr);
  typeOf(ast);
  return ast;
}
