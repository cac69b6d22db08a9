import { parser } from "@grafana/lezer-logql";
import type { SyntaxNode } from "@lezer/common";
import { logqlDuration, readDuration } from "../../lib/duration";
import {
  type BinOp,
  type Grouping,
  LogQLError,
  type MetricExpr,
  type Query,
  type RangeOp,
  type Unwrap,
  type VectorOp,
} from "./logql-ast";
import { cmpOps, PipelineWalker } from "./logql-walk";

const rangeOps = new Set<string>([
  "count_over_time",
  "rate",
  "bytes_over_time",
  "bytes_rate",
  "sum_over_time",
  "avg_over_time",
  "max_over_time",
  "min_over_time",
  "first_over_time",
  "last_over_time",
  "stddev_over_time",
  "stdvar_over_time",
  "quantile_over_time",
]);
const vectorOps = new Set<string>([
  "sum",
  "avg",
  "min",
  "max",
  "count",
  "topk",
  "bottomk",
  "stddev",
  "stdvar",
]);

/** Adds the metric half: range and vector aggregations, literals and binary operations. */
class Walker extends PipelineWalker {
  query(root: SyntaxNode): Query {
    const expr = this.need(root, "Expr");
    const log = this.kid(expr, "LogExpr");
    if (log) return { kind: "log", selector: this.logExpr(log) };
    return { kind: "metric", expr: this.metric(this.need(expr, "MetricExpr")) };
  }

  grouping(n: SyntaxNode | null): Grouping | undefined {
    if (!n) return undefined;
    const labels = this.kid(n, "Labels");
    return {
      without: this.kid(n, "Without") !== null,
      labels: labels ? this.flat(labels, "Labels", "Identifier").map((i) => this.text(i)) : [],
    };
  }

  metric(n: SyntaxNode): MetricExpr {
    const body = n.firstChild ?? this.fail(n, "empty expression");
    if (body.name === "MetricExpr") return this.metric(body);
    if (body.name === "RangeAggregationExpr") return this.rangeAgg(body);
    if (body.name === "VectorAggregationExpr") return this.vectorAgg(body);
    if (body.name === "BinOpExpr") return this.binary(body);
    if (body.name === "LiteralExpr") {
      const value = Number(this.text(body).replace(/\s+/g, ""));
      if (Number.isNaN(value)) this.fail(body, `invalid number "${this.text(body)}"`);
      return { kind: "literal", value };
    }
    const what: Record<string, string> = {
      LabelReplaceExpr: "label_replace",
      VectorExpr: "vector()",
    };
    return this.fail(body, `unsupported stage ${what[body.name] ?? body.name}`);
  }

  rangeAgg(n: SyntaxNode): MetricExpr {
    const opNode = this.need(n, "RangeOp");
    const op = this.text(opNode);
    if (!rangeOps.has(op)) this.fail(opNode, `unsupported stage ${op}`);
    const lr = this.need(n, "LogRangeExpr");
    const pipeline = this.kids(lr)
      .filter((c) => c.name === "PipelineExpr")
      .flatMap((p) => this.pipeline(p));
    const range = this.need(lr, "Range");
    const rangeMs = readDuration(this.text(this.need(range, "Duration")), ...logqlDuration);
    if (rangeMs === null || rangeMs <= 0) this.fail(range, `invalid range ${this.text(range)}`);
    const off = this.kid(lr, "OffsetExpr");
    const offsetMs = off ? readDuration(this.text(this.need(off, "Duration")), ...logqlDuration) : 0;
    if (offsetMs === null) this.fail(off as SyntaxNode, `invalid offset ${this.text(off as SyntaxNode)}`);
    const uw = this.kid(lr, "UnwrapExpr");
    const unwrap = uw ? this.unwrap(uw) : undefined;
    const needsUnwrap = !["count_over_time", "rate", "bytes_over_time", "bytes_rate"].includes(op);
    if (needsUnwrap && !unwrap) this.fail(n, `${op} requires an unwrap stage, e.g. | unwrap latency`);
    if (!needsUnwrap && unwrap) this.fail(uw as SyntaxNode, `unsupported stage unwrap with ${op}`);
    const param = this.kid(n, "Number");
    const grouping = this.grouping(this.kid(n, "Grouping"));
    if (op === "quantile_over_time" && !param) this.fail(n, "quantile_over_time requires a quantile");
    return {
      kind: "range",
      op: op as RangeOp,
      selector: { matchers: this.matchers(this.need(lr, "Selector")), pipeline },
      rangeMs,
      offsetMs,
      ...(unwrap ? { unwrap } : {}),
      ...(grouping ? { grouping } : {}),
      ...(param ? { param: Number(this.text(param)) } : {}),
    };
  }

  binary(n: SyntaxNode): MetricExpr {
    const [l, r] = this.kids(n).filter((c) => c.name === "Expr");
    const opNode = this.kids(n).find((c) => c.name !== "Expr" && c.name !== "BinOpModifier");
    if (!l || !r || !opNode) return this.fail(n, "invalid binary operation");
    const arith: Record<string, BinOp> = { Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%", Pow: "^" };
    const op = arith[opNode.name] ?? (cmpOps[opNode.name] as BinOp | undefined);
    if (!op) return this.fail(opNode, `unsupported stage ${this.text(opNode)} (set operation)`);
    const side = (e: SyntaxNode): MetricExpr => {
      const m = this.kid(e, "MetricExpr");
      return m ? this.metric(m) : this.fail(e, "a log query cannot be an operand of a binary operation");
    };
    const mod = this.kid(n, "BinOpModifier");
    const group = mod && (this.kid(mod, "GroupLeft") ?? this.kid(mod, "GroupRight"));
    if (group) this.fail(group, `unsupported stage ${this.text(group)}`);
    const oi = mod && this.kid(mod, "OnOrIgnoringModifier");
    const bool = mod !== null && this.kid(mod, "Bool") !== null;
    if (bool && !(op in { "==": 1, "!=": 1, ">": 1, ">=": 1, "<": 1, "<=": 1 }))
      this.fail(mod as SyntaxNode, "bool modifier can only be used on comparison operators");
    const matching = oi
      ? {
          on: this.kid(oi, "On") !== null,
          labels: this.kids(oi)
            .filter((c) => c.name === "GroupingLabels")
            .flatMap((g) => this.descendants(g, "LabelName").map((x) => this.text(x))),
        }
      : undefined;
    return { kind: "binary", op, left: side(l), right: side(r), bool, ...(matching ? { matching } : {}) };
  }

  descendants(n: SyntaxNode, name: string): SyntaxNode[] {
    return this.kids(n).flatMap((c) => (c.name === name ? [c] : this.descendants(c, name)));
  }

  unwrap(n: SyntaxNode): Unwrap {
    const inner = this.kid(n, "UnwrapExpr");
    if (inner) {
      const base = this.unwrap(inner);
      const f = this.kid(n, "LabelFilter");
      if (f) base.filters.push(this.labelFilter(f));
      return base;
    }
    const conv = this.kid(n, "ConvOp")?.firstChild;
    const label = this.text(this.need(n, "Identifier"));
    const convs = {
      BytesConv: "bytes",
      DurationConv: "duration",
      DurationSecondsConv: "duration_seconds",
    } as const;
    if (!conv) return { label, filters: [] };
    return { label, conv: convs[conv.name as keyof typeof convs], filters: [] };
  }

  vectorAgg(n: SyntaxNode): MetricExpr {
    const opNode = this.need(n, "VectorOp");
    const op = this.text(opNode).toLowerCase();
    if (!vectorOps.has(op)) this.fail(opNode, `unsupported stage ${op}`);
    const param = this.kid(n, "Number");
    if ((op === "topk" || op === "bottomk") && !param) this.fail(n, `${op} requires a parameter`);
    const grouping = this.grouping(this.kid(n, "Grouping"));
    return {
      kind: "vector",
      op: op as VectorOp,
      inner: this.metric(this.need(n, "MetricExpr")),
      ...(grouping ? { grouping } : {}),
      ...(param ? { param: Number(this.text(param)) } : {}),
    };
  }
}

function lineCol(q: string, pos: number): string {
  const before = q.slice(0, pos).split("\n");
  return `line ${before.length}, col ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Parses a LogQL query; throws LogQLError with the offending position. */
export function parseLogQL(q: string): Query {
  if (q.trim() === "") throw new LogQLError("syntax error: empty query", 0);
  const tree = parser.parse(q);
  let err: { from: number; to: number } | null = null;
  tree.iterate({
    enter: (n) => {
      if (err) return false;
      if (n.type.isError) err = { from: n.from, to: n.to };
      return undefined;
    },
  });
  if (err) {
    const { from, to } = err as { from: number; to: number };
    const tok = q.slice(from, Math.max(to, from + 1)).trim();
    const what = tok === "" || from >= q.length ? "end of query" : `"${tok}"`;
    throw new LogQLError(`parse error at ${lineCol(q, from)}: syntax error: unexpected ${what}`, from);
  }
  const w = new Walker(q);
  try {
    return w.query(tree.topNode);
  } catch (e) {
    if (e instanceof LogQLError) {
      e.message = `parse error at ${lineCol(q, e.position)}: ${e.message}`;
    }
    throw e;
  }
}
