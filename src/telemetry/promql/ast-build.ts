import type { SyntaxNode } from "@lezer/common";
import type { SeriesQuerier } from "../types";
import type { Expr, Grouping, Modifiers, VectorMatching, VectorSelectorExpr } from "./ast";
import { PromQLError } from "./errors";
import { Evaluator } from "./eval";
import { duration, kids } from "./util";

// Lezer syntax tree → typed AST. Literal and matcher decoding reuse the evaluator's helpers so the
// AST and the evaluation can never disagree about what a token means.

const noData: SeriesQuerier = { select: () => [] };

const opSymbols: Record<string, string> = {
  Add: "+",
  Sub: "-",
  Mul: "*",
  Div: "/",
  Mod: "%",
  Pow: "^",
  Atan2: "atan2",
  Eql: "==",
  Neq: "!=",
  Gtr: ">",
  Lss: "<",
  Gte: ">=",
  Lte: "<=",
  And: "and",
  Or: "or",
  Unless: "unless",
};

export function buildAst(root: SyntaxNode, src: string): Expr {
  const ev = new Evaluator(noData, src, { start: 0, end: 0, step: 0 });
  const text = (n: SyntaxNode) => src.slice(n.from, n.to);
  const span = (n: SyntaxNode) => ({ from: n.from, to: n.to });
  const labels = (n: SyntaxNode | undefined) =>
    n ? kids(n).map((c) => (c.name === "StringLiteral" ? ev.stringLit(c) : text(c))) : [];

  const modifierOf = (wrapper: SyntaxNode): Modifiers => {
    const parts = kids(wrapper);
    const what = parts[2] as SyntaxNode;
    if (wrapper.name === "OffsetExpr") return { offsetMs: ev.signedDuration(what) };
    if (what.name === "AtModifierPreprocessors")
      return { at: { kind: text(what).startsWith("start") ? "start" : "end" } };
    return { at: { kind: "time", ms: ev.atTime(what, 0) } };
  };

  // Prometheus binds `a or b offset 5m` to `b`; the grammar wraps the whole binary expression instead.
  const applyModifier = (e: Expr, m: Modifiers): Expr => {
    if (e.type === "binary") return { ...e, rhs: applyModifier(e.rhs, m) };
    if (e.type === "vector" || e.type === "matrix" || e.type === "subquery") {
      const offsetMs = (e.offsetMs ?? 0) + (m.offsetMs ?? 0);
      return { ...e, ...(m.at && !e.at ? { at: m.at } : {}), ...(offsetMs ? { offsetMs } : {}) };
    }
    if (e.type === "paren") return { ...e, expr: applyModifier(e.expr, m) };
    const what = m.at ? "@ modifier" : "offset modifier";
    throw new PromQLError(
      `1:${e.from + 1}: parse error: ${what} must be preceded by an instant vector selector or range vector selector or a subquery`,
      e.from,
    );
  };

  const grouping = (n: SyntaxNode | undefined): Grouping | undefined => {
    if (!n) return undefined;
    const parts = kids(n);
    return {
      without: parts[0]?.name === "Without",
      labels: labels(parts.find((p) => p.name === "GroupingLabels")),
    };
  };

  const matching = (n: SyntaxNode | undefined): VectorMatching | undefined => {
    if (!n) return undefined;
    const parts = kids(n);
    const groups = parts.filter((p) => p.name === "GroupingLabels");
    const left = parts.some((p) => p.name === "GroupLeft");
    const right = parts.some((p) => p.name === "GroupRight");
    return {
      card: left ? "many-to-one" : right ? "one-to-many" : "one-to-one",
      on: parts[0]?.name === "On",
      labels: labels(groups[0]),
      include: labels(groups[1]),
    };
  };

  const build = (n: SyntaxNode): Expr => {
    const parts = kids(n);
    switch (n.name) {
      case "PromQL":
        return build(parts[0] ?? ev.fail(n, "parse error: no expression found in input"));
      case "ParenExpr":
        return { type: "paren", expr: build(parts[0] as SyntaxNode), ...span(n) };
      case "NumberDurationLiteral":
      case "NumberLiteral": {
        const v = ev.eval(n, 0);
        return { type: "number", value: v.type === "scalar" ? v.v : Number.NaN, ...span(n) };
      }
      case "StringLiteral":
        return { type: "string", value: ev.stringLit(n), ...span(n) };
      case "VectorSelector": {
        const matchers = ev.matchers(n);
        const name = matchers.find((m) => m.name === "__name__" && m.op === "=")?.value;
        return { type: "vector", matchers, ...(name === undefined ? {} : { name }), ...span(n) };
      }
      case "MatrixSelector":
        return {
          type: "matrix",
          selector: build(parts[0] as SyntaxNode) as VectorSelectorExpr,
          rangeMs: duration(text(parts[1] as SyntaxNode)),
          ...span(n),
        };
      case "SubqueryExpr": {
        const durs = parts.filter((p) => p.name === "DurationExpr");
        return {
          type: "subquery",
          expr: build(parts[0] as SyntaxNode),
          rangeMs: duration(text(durs[0] as SyntaxNode)),
          ...(durs[1] ? { stepMs: duration(text(durs[1])) } : {}),
          ...span(n),
        };
      }
      case "OffsetExpr":
      case "StepInvariantExpr":
        return applyModifier(build(parts[0] as SyntaxNode), modifierOf(n));
      case "UnaryExpr":
        return {
          type: "unary",
          op: text(parts[0] as SyntaxNode).trim() === "-" ? "-" : "+",
          expr: build(parts[1] as SyntaxNode),
          ...span(n),
        };
      case "FunctionCall": {
        const body = parts.find((p) => p.name === "FunctionCallBody");
        return {
          type: "call",
          func: text(parts[0] as SyntaxNode),
          args: body ? kids(body).map(build) : [],
          ...span(n),
        };
      }
      case "AggregateExpr": {
        const body = parts.find((p) => p.name === "FunctionCallBody");
        const args = body ? kids(body).map(build) : [];
        const g = grouping(parts.find((p) => p.name === "AggregateModifier"));
        const expr = args.at(-1) ?? ev.fail(n, "aggregation needs an argument");
        return {
          type: "aggregate",
          op: text(parts[0] as SyntaxNode),
          expr,
          ...(args.length > 1 ? { param: args[0] as Expr } : {}),
          ...(g ? { grouping: g } : {}),
          ...span(n),
        };
      }
      case "BinaryExpr": {
        const m = matching(parts.find((p) => p.name === "MatchingModifierClause"));
        const opNode = parts[1] as SyntaxNode;
        return {
          type: "binary",
          op: opSymbols[opNode.name] ?? text(opNode),
          lhs: build(parts[0] as SyntaxNode),
          rhs: build(parts.at(-1) as SyntaxNode),
          bool: parts.some((p) => p.name === "BoolModifier"),
          ...(m ? { matching: m } : {}),
          ...span(n),
        };
      }
      default:
        return ev.fail(n, `parse error: unexpected ${n.name}`);
    }
  };
  return build(root);
}
