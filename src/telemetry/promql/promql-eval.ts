import type { SyntaxNode } from "@lezer/common";
import { isComparison } from "../binops";
import { currentBudget } from "../query-limits";
import type { InstantSample, Labels, Matcher, Sample, SeriesQuerier } from "../types";
import { aggregate } from "./promql-aggregate";
import { applyOp, setOp, type VectorMatching, vectorOp, vectorScalarOp } from "./promql-binary";
import { callFunction } from "./promql-calls";
import { PromQLError } from "./promql-error";
import { bucketGroups, bucketQuantile, lastFix } from "./promql-histogram";
import { isStaleSample } from "./promql-stale";
import {
  dropName,
  duration,
  goFloat,
  kids,
  lookbackMs,
  nodeKey,
  sig,
  unquoteGo,
  type Value,
  type Vec,
} from "./promql-util";

// The tree-walking evaluator: selectors, modifiers, subqueries, aggregations and binary operators.

export class Evaluator {
  constructor(
    private readonly q: SeriesQuerier,
    private readonly src: string,
    /** Query range for start()/end()/step()/range() and `@ start()`; an instant query has start = end and step 0. */
    readonly query: { start: number; end: number; step: number },
  ) {}

  /** Warnings and infos, rendered as the Prometheus API does (with the position of the expression). */
  readonly annotations = new Set<string>();

  annotate(kind: "warn" | "info", msg: string, n: SyntaxNode): void {
    this.annotations.add(`PromQL ${kind === "warn" ? "warning" : "info"}: ${msg} (1:${n.from + 1})`);
  }

  checkQuantile(q: number, n: SyntaxNode): void {
    if (!(q >= 0 && q <= 1))
      this.annotate("warn", `quantile value should be between 0 and 1, got ${goFloat(q)}`, n);
  }

  /** Buckets of a classic histogram argument, warning about series whose `le` is missing or malformed. */
  buckets(arg: SyntaxNode, t: number) {
    return bucketGroups(this.vec(arg, t).samples, (le, metric) =>
      this.annotate(
        "warn",
        `bucket label "le" is missing or has a malformed value of "${le}" for metric name "${metric}"`,
        arg,
      ),
    );
  }

  quantileOf(q: number, g: { buckets: { le: number; v: number }[]; name: string }, arg: SyntaxNode): number {
    const v = bucketQuantile(q, g.buckets);
    if (lastFix.forcedMonotonic)
      this.annotate(
        "info",
        `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "${g.name}"`,
        arg,
      );
    return v;
  }

  /** Peels `offset` and `@` off a selector or subquery: the time it must be evaluated at. */
  resolveTime(n: SyntaxNode, t: number): { node: SyntaxNode; time: number } {
    let node = n;
    let offset = 0;
    let at: number | null = null;
    const pending = [...(this.hoisted.get(nodeKey(n)) ?? [])];
    for (;;) {
      const wrapper = pending.shift();
      if (wrapper) {
        // A modifier the grammar attached to a whole binary expression; it belongs to this operand.
        const parts = kids(wrapper);
        if (wrapper.name === "OffsetExpr") offset += this.signedDuration(parts[2] as SyntaxNode);
        else if (at === null) at = this.atTime(parts[2] as SyntaxNode, t);
        continue;
      }
      if (node.name === "ParenExpr" && kids(node).length === 1) node = kids(node)[0] as SyntaxNode;
      else if (node.name === "OffsetExpr") {
        const [inner, , off] = kids(node);
        offset += this.signedDuration(off as SyntaxNode);
        node = inner as SyntaxNode;
      } else if (node.name === "StepInvariantExpr") {
        const parts = kids(node);
        const what = parts[2] as SyntaxNode;
        if (at === null) at = this.atTime(what, t);
        node = parts[0] as SyntaxNode;
      } else break;
    }
    return { node, time: (at ?? t) - offset };
  }

  atTime(what: SyntaxNode, t: number): number {
    if (what.name === "AtModifierPreprocessors")
      return this.text(what).startsWith("start") ? this.query.start : this.query.end;
    const v = this.eval(what, t);
    if (v.type !== "scalar") this.fail(what, "@ modifier needs a number");
    return Math.round(v.v * 1000);
  }

  /**
   * The lezer grammar parses `a or b offset 5m` as `(a or b) offset 5m`; Prometheus binds the modifier to
   * `b`. Such modifiers are recorded here, keyed by the operand they belong to.
   */
  private readonly hoisted = new Map<string, SyntaxNode[]>();

  hoist(wrapper: SyntaxNode, binary: SyntaxNode): void {
    let r = binary;
    while (r.name === "BinaryExpr") r = kids(r).at(-1) as SyntaxNode;
    const list = this.hoisted.get(nodeKey(r)) ?? [];
    if (!list.some((w) => nodeKey(w) === nodeKey(wrapper))) list.push(wrapper);
    this.hoisted.set(nodeKey(r), list);
  }

  text(n: SyntaxNode): string {
    return this.src.slice(n.from, n.to);
  }

  fail(n: SyntaxNode, msg: string): never {
    throw new PromQLError(`1:${n.from + 1}: ${msg}`, n.from);
  }

  matchers(sel: SyntaxNode): Matcher[] {
    const out: Matcher[] = [];
    for (const c of kids(sel)) {
      if (c.name === "Identifier") out.push({ name: "__name__", op: "=", value: this.text(c) });
      if (c.name !== "LabelMatchers") continue;
      for (const m of kids(c)) {
        const parts = kids(m);
        const nameNode = parts.find((p) => p.name === "LabelName" || p.name === "QuotedLabelName");
        const op = parts.find((p) => p.name === "MatchOp");
        const str = parts.filter((p) => p.name === "StringLiteral");
        if (m.name === "QuotedLabelMatcher" && !op) {
          out.push({ name: "__name__", op: "=", value: JSON.parse(this.text(str[0] as SyntaxNode)) });
          continue;
        }
        if (!nameNode || !op || str.length === 0) this.fail(m, "unexpected label matcher");
        const name =
          nameNode.name === "QuotedLabelName" ? JSON.parse(this.text(nameNode)) : this.text(nameNode);
        out.push({
          name,
          op: this.text(op) as Matcher["op"],
          value: this.stringLit(str.at(-1) as SyntaxNode),
        });
      }
    }
    return out;
  }

  stringLit(n: SyntaxNode): string {
    try {
      return unquoteGo(this.text(n));
    } catch (e) {
      return this.fail(n, (e as Error).message);
    }
  }

  instantVector(sel: SyntaxNode, t: number): Vec {
    const series = this.q.select(this.matchers(sel), t - lookbackMs + 1, t);
    currentBudget()?.charge(series.length);
    const samples: InstantSample[] = [];
    for (const s of series) {
      const last = s.samples.at(-1);
      // Keep the sample's own timestamp: timestamp() reports it.
      if (last && !isStaleSample(last)) samples.push({ labels: s.labels, t: last.t, v: last.v });
    }
    return { type: "vector", samples };
  }

  rangeOf(
    n: SyntaxNode,
    t: number,
  ): { series: { labels: Labels; samples: Sample[] }[]; start: number; end: number } {
    const { node, time: end } = this.resolveTime(n, t);
    if (node.name === "SubqueryExpr") return this.subquery(node, end);
    if (node.name !== "MatrixSelector") this.fail(node, "expected a range vector, e.g. metric[5m]");
    const [sel, dur] = kids(node);
    const range = duration(this.text(dur as SyntaxNode));
    const start = end - range;
    const loaded = this.q.select(this.matchers(sel as SyntaxNode), start + 1, end);
    currentBudget()?.charge(loaded.reduce((n, s) => n + s.samples.length, 0));
    const series = loaded
      .map((s) => ({ labels: s.labels, samples: s.samples.filter((x) => x.t > start && !isStaleSample(x)) }))
      .filter((s) => s.samples.length > 0);
    return { series, start, end };
  }

  /** `expr[range:step]`: the inner expression at every step multiple in (end - range, end]. */
  subquery(
    node: SyntaxNode,
    end: number,
  ): { series: { labels: Labels; samples: Sample[] }[]; start: number; end: number } {
    const parts = kids(node);
    const inner = parts[0] as SyntaxNode;
    const durs = parts.filter((p) => p.name === "DurationExpr");
    const range = duration(this.text(durs[0] as SyntaxNode));
    // Without an explicit step Prometheus uses the global evaluation interval, 1m in its test engine.
    const step = durs[1] ? duration(this.text(durs[1])) : 60_000;
    const start = end - range;
    if (step <= 0) this.fail(node, "zero or negative subquery resolution step widths are not accepted");
    // Every step yields at least one point when the inner expression has a value: a subquery with more steps
    // than the samples budget can only fail, so it fails now rather than after billions of steps.
    const budget = currentBudget();
    if (budget && range / step > budget.limits.maxSamples - budget.samples)
      budget.charge(Math.ceil(range / step));
    const out = new Map<string, { labels: Labels; samples: Sample[] }>();
    for (let ts = Math.floor(start / step) * step; ts <= end; ts += step) {
      if (ts <= start) continue;
      const v = this.eval(inner, ts);
      const samples =
        v.type === "scalar" ? [{ labels: {}, t: ts, v: v.v }] : v.type === "vector" ? v.samples : [];
      if (v.type === "matrix" || v.type === "string")
        this.fail(inner, "subquery needs an instant vector or scalar");
      // Each step's points are held until the subquery ends: they count like loaded samples.
      currentBudget()?.charge(samples.length);
      for (const s of samples) {
        const k = sig(s.labels, null, false);
        const e = out.get(k) ?? { labels: s.labels, samples: [] };
        e.samples.push({ t: ts, v: s.v });
        out.set(k, e);
      }
    }
    return { series: [...out.values()], start, end };
  }

  signedDuration(n: SyntaxNode): number {
    const t = this.text(n).trim();
    return t.startsWith("-") ? -duration(t.slice(1)) : duration(t);
  }

  eval(n: SyntaxNode, t: number): Value {
    currentBudget()?.tick();
    switch (n.name) {
      case "PromQL":
        return this.eval(kids(n)[0] ?? this.fail(n, "empty query"), t);
      case "ParenExpr":
        return this.eval(kids(n)[0] as SyntaxNode, t);
      case "NumberDurationLiteral":
      case "NumberLiteral": {
        // A unary minus can be folded into the literal's node, with spaces: `- 1`.
        const txt = this.text(n).replace(/\s+/g, "");
        const v = /^[+-]?(inf|nan)$/i.test(txt)
          ? Number(txt.replace(/inf/i, "Infinity").replace(/nan/i, "NaN"))
          : /[a-z]$/i.test(txt)
            ? duration(txt) / 1000
            : Number(txt);
        return { type: "scalar", v };
      }
      case "StringLiteral":
        return { type: "string", s: this.stringLit(n) };
      case "VectorSelector": {
        const { node, time } = this.resolveTime(n, t);
        return this.instantVector(node, time);
      }
      case "OffsetExpr":
      case "StepInvariantExpr": {
        const first = kids(n)[0] as SyntaxNode;
        if (first.name === "BinaryExpr") {
          this.hoist(n, first);
          return this.eval(first, t);
        }
        const { node, time } = this.resolveTime(n, t);
        if (node.name === "MatrixSelector" || node.name === "SubqueryExpr")
          return { type: "matrix", series: this.rangeOf(n, t).series };
        if (node.name === "VectorSelector") return this.instantVector(node, time);
        const v = this.eval(node, time);
        // The value belongs to the evaluation step, not to the shifted time.
        if (v.type === "vector" && node.name !== "VectorSelector")
          return { type: "vector", samples: v.samples.map((s) => ({ ...s, t })) };
        return v;
      }
      case "MatrixSelector":
      case "SubqueryExpr":
        return { type: "matrix", series: this.rangeOf(n, t).series };
      case "UnaryExpr": {
        const [op, expr] = kids(n);
        const v = this.eval(expr as SyntaxNode, t);
        if (this.text(op as SyntaxNode) === "+") return v;
        if (v.type === "scalar") return { type: "scalar", v: -v.v };
        if (v.type === "vector")
          return {
            type: "vector",
            samples: this.unique(
              n,
              v.samples.map((s) => ({ labels: dropName(s.labels), t, v: -s.v })),
            ),
          };
        return this.fail(n, "unary minus needs a number or an instant vector");
      }
      case "FunctionCall":
        return this.call(n, t);
      case "AggregateExpr":
        return this.aggregate(n, t);
      case "BinaryExpr":
        return this.binary(n, t);
      case "⚠":
        return this.fail(n, "parse error: unexpected input");
      default:
        return this.fail(n, `${n.name} is not supported by the embedded engine yet`);
    }
  }

  args(n: SyntaxNode): SyntaxNode[] {
    const body = kids(n).find((c) => c.name === "FunctionCallBody");
    return body ? kids(body).filter((c) => c.name !== "⚠" || this.fail(c, "parse error in arguments")) : [];
  }

  vec(n: SyntaxNode, t: number): Vec {
    const v = this.eval(n, t);
    if (v.type !== "vector") this.fail(n, `expected an instant vector, got ${v.type}`);
    return v;
  }

  num(n: SyntaxNode, t: number): number {
    const v = this.eval(n, t);
    if (v.type !== "scalar") this.fail(n, `expected a scalar, got ${v.type}`);
    return v.v;
  }

  /** Function results must not repeat a label set (possible once names are dropped). */
  call(n: SyntaxNode, t: number): Value {
    const v = callFunction(this, n, t);
    if (v.type === "vector") this.unique(n, v.samples);
    return v;
  }

  /** Prometheus refuses a function result with two samples of the same label set. */
  unique(n: SyntaxNode, samples: InstantSample[]): InstantSample[] {
    const seen = new Set<string>();
    for (const s of samples) {
      const k = sig(s.labels, null, false);
      if (seen.has(k)) this.fail(n, "vector cannot contain metrics with the same labelset");
      seen.add(k);
    }
    return samples;
  }

  grouping(n: SyntaxNode): { names: string[] | null; without: boolean } {
    const mod = kids(n).find((c) => c.name === "AggregateModifier" || c.name === "MatchingModifierClause");
    if (!mod) return { names: null, without: false };
    const parts = kids(mod);
    const labels = parts.find((c) => c.name === "GroupingLabels");
    const names = labels
      ? kids(labels)
          .filter((c) => c.name === "LabelName" || c.name === "QuotedLabelName")
          .map((c) => this.text(c).replace(/^"|"$/g, ""))
      : [];
    const without = parts.some((c) => c.name === "Without" || c.name === "Ignoring");
    return { names, without };
  }

  aggregate(n: SyntaxNode, t: number): Value {
    const op = this.text(kids(n)[0] as SyntaxNode);
    const args = this.args(n);
    const paramNode = args.length > 1 ? (args[0] as SyntaxNode) : null;
    let param: number | string | null = null;
    if (paramNode) {
      const p = this.eval(paramNode, t);
      if (p.type === "scalar") param = p.v;
      else if (p.type === "string") {
        param = p.s;
        if (op.toLowerCase() === "count_values" && p.s.includes("\uFFFD"))
          this.fail(paramNode, `invalid label name ${this.text(paramNode)}`);
      } else this.fail(paramNode, `expected a scalar or string parameter, got ${p.type}`);
    }
    const input = this.vec(args.at(-1) as SyntaxNode, t);
    if (op.toLowerCase() === "quantile" && typeof param === "number")
      this.checkQuantile(param, paramNode as SyntaxNode);
    try {
      return { type: "vector", samples: aggregate(op, param, input.samples, this.grouping(n), t) };
    } catch (e) {
      if (e instanceof PromQLError) this.fail(n, e.message);
      throw e;
    }
  }

  matching(n: SyntaxNode): VectorMatching {
    const m: VectorMatching = { card: "one-to-one", on: false, names: [], include: [] };
    const mod = kids(n).find((c) => c.name === "MatchingModifierClause");
    if (!mod) return m;
    const labelsOf = (g: SyntaxNode | undefined) =>
      g
        ? kids(g)
            .filter((c) => c.name === "LabelName" || c.name === "QuotedLabelName")
            .map((c) => (c.name === "QuotedLabelName" ? (JSON.parse(this.text(c)) as string) : this.text(c)))
        : [];
    const parts = kids(mod);
    const groups = parts.filter((c) => c.name === "GroupingLabels");
    m.on = parts.some((c) => c.name === "On");
    m.names = labelsOf(groups[0]);
    if (parts.some((c) => c.name === "GroupLeft")) m.card = "many-to-one";
    if (parts.some((c) => c.name === "GroupRight")) m.card = "one-to-many";
    if (m.card !== "one-to-one") m.include = labelsOf(groups[1]);
    return m;
  }

  binary(n: SyntaxNode, t: number): Value {
    const parts = kids(n);
    const [lhsNode, opNode] = parts as [SyntaxNode, SyntaxNode];
    const rhsNode = parts.at(-1) as SyntaxNode;
    const op = this.text(opNode).toLowerCase();
    const returnBool = parts.some((c) => c.name === "BoolModifier");
    const lhs = this.eval(lhsNode, t);
    const rhs = this.eval(rhsNode, t);
    const cmp = isComparison(op);
    const setOperator = op === "and" || op === "or" || op === "unless";
    if (returnBool && !cmp) this.fail(opNode, "bool modifier can only be used on comparison operators");
    try {
      if (lhs.type === "scalar" && rhs.type === "scalar") {
        if (setOperator) this.fail(opNode, `set operator "${op}" not allowed in binary scalar expression`);
        if (cmp && !returnBool) this.fail(opNode, "comparisons between scalars must use BOOL modifier");
        return { type: "scalar", v: applyOp(op, lhs.v, rhs.v) };
      }
      if (lhs.type === "vector" && rhs.type === "scalar" && !setOperator)
        return {
          type: "vector",
          samples: this.unique(n, vectorScalarOp(op, lhs.samples, rhs.v, false, returnBool, t)),
        };
      if (lhs.type === "scalar" && rhs.type === "vector" && !setOperator)
        return {
          type: "vector",
          samples: this.unique(n, vectorScalarOp(op, rhs.samples, lhs.v, true, returnBool, t)),
        };
      if (lhs.type !== "vector" || rhs.type !== "vector")
        return this.fail(opNode, `operator ${op} needs instant vectors or scalars`);
      const m = this.matching(n);
      if (setOperator) return { type: "vector", samples: setOp(op, lhs.samples, rhs.samples, m) };
      return { type: "vector", samples: vectorOp(op, lhs.samples, rhs.samples, m, returnBool, t) };
    } catch (e) {
      if (e instanceof PromQLError && !e.message.startsWith("1:")) this.fail(opNode, e.message);
      throw e;
    }
  }
}
