import type { SyntaxNode } from "@lezer/common";
import { logqlDuration, readDuration } from "../../lib/duration";
import { compileRegex, type RegexMode } from "../regex";
import type { Matcher, MatchOp } from "../types";
import { matchesLabel } from "./labels";
import {
  type CmpOp,
  type Extraction,
  type LabelFilterExpr,
  type LineFilterOp,
  LogQLError,
  type LogSelector,
  type Stage,
  type TemplatePart,
} from "./logql-ast";
import { parseBytes, parseTemplate, unquote } from "./units";

const matchOps: Record<string, MatchOp> = { Eq: "=", Neq: "!=", Re: "=~", Nre: "!~" };
export const cmpOps: Record<string, CmpOp> = {
  Gtr: ">",
  Gte: ">=",
  Lss: "<",
  Lte: "<=",
  Eql: "==",
  Neq: "!=",
  Eq: "==",
};
const filterOps: Record<string, LineFilterOp> = { PipeExact: "|=", Neq: "!=", PipeMatch: "|~", Nre: "!~" };

/** Walks selectors and pipeline stages of the official lezer grammar's tree into the typed AST. */
export class PipelineWalker {
  constructor(protected readonly q: string) {}

  text(n: SyntaxNode): string {
    return this.q.slice(n.from, n.to);
  }

  fail(n: SyntaxNode, msg: string): never {
    throw new LogQLError(msg, n.from);
  }

  kids(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  kid(n: SyntaxNode, name: string): SyntaxNode | null {
    return n.getChild(name);
  }

  need(n: SyntaxNode, name: string): SyntaxNode {
    return n.getChild(name) ?? this.fail(n, `expected ${name} in "${this.text(n)}"`);
  }

  /** Left-recursive list nodes (Matchers, LineFilters, Labels, ...) flattened in source order. */
  flat(n: SyntaxNode, list: string, item: string): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (const c of this.kids(n)) {
      if (c.name === list) out.push(...this.flat(c, list, item));
      else if (c.name === item) out.push(c);
    }
    return out;
  }

  string(n: SyntaxNode): string {
    return unquote(this.text(n));
  }

  logExpr(n: SyntaxNode): LogSelector {
    const sel = this.need(n, "Selector");
    const pipe = this.kid(n, "PipelineExpr");
    return { matchers: this.matchers(sel), pipeline: pipe ? this.pipeline(pipe) : [] };
  }

  matchers(sel: SyntaxNode): Matcher[] {
    const ms = this.flat(this.need(sel, "Matchers"), "Matchers", "Matcher").map((m) => this.matcher(m));
    if (ms.every((m) => matchesLabel(m, "")))
      this.fail(sel, "queries require at least one matcher that does not match the empty string");
    return ms;
  }

  matcher(n: SyntaxNode): Matcher {
    const [id, op, str] = this.kids(n);
    if (!id || !op || !str || !matchOps[op.name]) this.fail(n, `invalid matcher "${this.text(n)}"`);
    const m: Matcher = { name: this.text(id), op: matchOps[op.name] as MatchOp, value: this.string(str) };
    if (m.op === "=~" || m.op === "!~") this.regex(n, m.value, "anchored");
    return m;
  }

  /** Compiles a pattern now, as the evaluator will (cached), so a bad one fails the parse with its position. */
  regex(n: SyntaxNode, src: string, mode: RegexMode): void {
    try {
      compileRegex(src, mode);
    } catch (err) {
      this.fail(n, `invalid regular expression "${src}": ${(err as Error).message}`);
    }
  }

  pipeline(n: SyntaxNode): Stage[] {
    return this.flat(n, "PipelineExpr", "PipelineStage").flatMap((s) => this.stage(s));
  }

  stage(n: SyntaxNode): Stage[] {
    const lf = this.kid(n, "LineFilters");
    if (lf) return this.flat(lf, "LineFilters", "LineFilter").map((f) => this.lineFilter(f));
    const body = this.kids(n).find((c) => c.name !== "Pipe");
    if (!body) this.fail(n, "empty pipeline stage");
    switch (body.name) {
      case "LabelParser": {
        const kw = body.firstChild as SyntaxNode;
        if (kw.name === "Json") return [{ kind: "json", params: [] }];
        return this.fail(body, `unsupported stage ${this.text(kw).toLowerCase()}`);
      }
      case "LogfmtParser":
      case "LogfmtExpressionParser":
        return [this.logfmt(body)];
      case "JsonExpressionParser":
        return [{ kind: "json", params: this.extractions(body) }];
      case "LabelFilter":
        return [{ kind: "labelFilter", expr: this.labelFilter(body) }];
      case "LineFormatExpr":
        return [{ kind: "lineFormat", template: this.template(this.need(body, "String")) }];
      case "LabelFormatExpr":
        return [this.labelFormat(body)];
      case "DropLabelsExpr":
        return [{ kind: "drop", items: this.dropKeep(body, "DropLabels", "DropLabel") }];
      case "KeepLabelsExpr":
        return [{ kind: "keep", items: this.dropKeep(body, "KeepLabels", "KeepLabel") }];
      case "DecolorizeExpr":
        return [{ kind: "decolorize" }];
      default:
        return this.fail(body, `unsupported stage ${this.text(body).split(/[\s(]/)[0]}`);
    }
  }

  lineFilter(n: SyntaxNode): Stage {
    const f = this.need(n, "Filter").firstChild as SyntaxNode;
    if (this.kid(n, "FilterOp")) this.fail(n, "unsupported stage ip line filter");
    const op = filterOps[f.name];
    if (!op) return this.fail(f, `unsupported stage ${this.text(f)} (pattern line filter)`);
    const values: string[] = [];
    for (let cur: SyntaxNode | null = n; cur; cur = cur.getChild("OrFilter")) {
      const s = this.need(cur, "String");
      values.push(this.string(s));
      if (op === "|~" || op === "!~") this.regex(s, this.string(s), "search");
    }
    return { kind: "lineFilter", filter: { op, values } };
  }

  logfmt(n: SyntaxNode): Stage {
    const flags = this.kid(n, "LogfmtParserFlags");
    const flagList = flags
      ? this.flat(flags, "LogfmtParserFlags", "ParserFlag").map((f) => this.text(f))
      : [];
    return {
      kind: "logfmt",
      params: this.extractions(n),
      strict: flagList.includes("--strict"),
      keepEmpty: flagList.includes("--keep-empty"),
    };
  }

  extractions(n: SyntaxNode): Extraction[] {
    const list = this.kid(n, "LabelExtractionExpressionList");
    if (!list) return [];
    return this.flat(list, "LabelExtractionExpressionList", "LabelExtractionExpression").map((e) => {
      const name = this.text(this.need(e, "Identifier"));
      const s = this.kid(e, "String");
      return s ? { name, path: this.string(s) } : { name };
    });
  }

  labelFilter(n: SyntaxNode): LabelFilterExpr {
    const subs = this.kids(n).filter((c) => c.name === "LabelFilter");
    if (subs.length === 2) {
      const kind = this.kid(n, "Or") ? "or" : "and";
      return {
        kind,
        left: this.labelFilter(subs[0] as SyntaxNode),
        right: this.labelFilter(subs[1] as SyntaxNode),
      };
    }
    if (subs.length === 1) return this.labelFilter(subs[0] as SyntaxNode);
    const body = n.firstChild ?? this.fail(n, "empty label filter");
    if (body.name === "Matcher") return { kind: "match", matcher: this.matcher(body) };
    if (body.name === "NumberFilter") {
      const [id, op, lit] = this.kids(body);
      const value = Number(this.text(lit as SyntaxNode).replace(/\s+/g, ""));
      if (!id || !op || !cmpOps[op.name] || Number.isNaN(value)) this.fail(body, "invalid number filter");
      return { kind: "number", name: this.text(id), op: cmpOps[op.name] as CmpOp, value, unit: "number" };
    }
    if (body.name === "UnitFilter") {
      const f = body.firstChild as SyntaxNode;
      const [id, op, lit] = this.kids(f);
      if (!id || !op || !lit || !cmpOps[op.name]) this.fail(f, "invalid label filter");
      const isDuration = f.name === "DurationFilter";
      const value = isDuration ? readDuration(this.text(lit), ...logqlDuration) : parseBytes(this.text(lit));
      if (value === null) this.fail(lit, `invalid ${isDuration ? "duration" : "bytes"} "${this.text(lit)}"`);
      const unit = isDuration ? "duration" : "bytes";
      return { kind: "number", name: this.text(id), op: cmpOps[op.name] as CmpOp, value, unit };
    }
    return this.fail(
      body,
      `unsupported stage ${body.name === "IpLabelFilter" ? "ip label filter" : body.name}`,
    );
  }

  template(s: SyntaxNode): TemplatePart[] {
    const t = parseTemplate(this.string(s));
    return typeof t === "string" ? this.fail(s, t) : t;
  }

  labelFormat(n: SyntaxNode): Stage {
    const items = this.flat(this.need(n, "LabelsFormat"), "LabelsFormat", "LabelFormatMatcher").map((m) => {
      const [dst, , src] = this.kids(m);
      if (!dst || !src) this.fail(m, "invalid label_format");
      const name = this.text(dst);
      return src.name === "String"
        ? { dst: name, template: this.template(src) }
        : { dst: name, src: this.text(src) };
    });
    return { kind: "labelFormat", items };
  }

  dropKeep(n: SyntaxNode, list: string, item: string): { name: string; matcher?: Matcher }[] {
    return this.flat(this.need(n, list), list, item).map((d) => {
      const m = this.kid(d, "Matcher");
      if (!m) return { name: this.text(d) };
      const matcher = this.matcher(m);
      return { name: matcher.name, matcher };
    });
  }
}
