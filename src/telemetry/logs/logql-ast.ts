import type { ArithmeticOp, ComparisonOp } from "../binops";
import type { Matcher } from "../types";

/** A query error with the character offset it refers to. */
export class LogQLError extends Error {
  constructor(
    message: string,
    readonly position = 0,
  ) {
    super(message);
    this.name = "LogQLError";
  }
}

export type LineFilterOp = "|=" | "!=" | "|~" | "!~";
/** `|= "a" or "b"`: the line passes when any value matches (for `!=`/`!~`: when none does). */
export interface LineFilter {
  op: LineFilterOp;
  values: string[];
}

export type CmpOp = ComparisonOp;

export type LabelFilterExpr =
  | { kind: "and" | "or"; left: LabelFilterExpr; right: LabelFilterExpr }
  | { kind: "match"; matcher: Matcher }
  | { kind: "number"; name: string; op: CmpOp; value: number; unit: "number" | "duration" | "bytes" };

/** `json`/`logfmt` extraction parameter: `a` or `a="path.to.field"`. */
export interface Extraction {
  name: string;
  path?: string;
}

/** A parsed `{{ ... }}` template: literal text and label references. */
export type TemplatePart = { text: string } | { label: string } | { line: true } | { timestamp: true };

export type Stage =
  | { kind: "lineFilter"; filter: LineFilter }
  | { kind: "json"; params: Extraction[] }
  | { kind: "logfmt"; params: Extraction[]; strict: boolean; keepEmpty: boolean }
  | { kind: "labelFilter"; expr: LabelFilterExpr }
  | { kind: "lineFormat"; template: TemplatePart[] }
  | { kind: "labelFormat"; items: { dst: string; src?: string; template?: TemplatePart[] }[] }
  | { kind: "drop" | "keep"; items: { name: string; matcher?: Matcher }[] }
  | { kind: "decolorize" };

export interface LogSelector {
  matchers: Matcher[];
  pipeline: Stage[];
}

export type RangeOp =
  | "count_over_time"
  | "rate"
  | "bytes_over_time"
  | "bytes_rate"
  | "sum_over_time"
  | "avg_over_time"
  | "max_over_time"
  | "min_over_time"
  | "first_over_time"
  | "last_over_time"
  | "stddev_over_time"
  | "stdvar_over_time"
  | "quantile_over_time";

export interface Grouping {
  without: boolean;
  labels: string[];
}

export interface Unwrap {
  label: string;
  conv?: "bytes" | "duration" | "duration_seconds";
  /** Label filters written after the unwrap, e.g. `| __error__=""`. */
  filters: LabelFilterExpr[];
}

export type VectorOp = "sum" | "avg" | "min" | "max" | "count" | "topk" | "bottomk" | "stddev" | "stdvar";

export type MetricExpr =
  | {
      kind: "range";
      op: RangeOp;
      selector: LogSelector;
      rangeMs: number;
      offsetMs: number;
      unwrap?: Unwrap;
      grouping?: Grouping;
      param?: number;
    }
  | { kind: "vector"; op: VectorOp; grouping?: Grouping; param?: number; inner: MetricExpr }
  | { kind: "literal"; value: number }
  | {
      kind: "binary";
      op: BinOp;
      left: MetricExpr;
      right: MetricExpr;
      /** Comparisons return 0/1 instead of filtering. */
      bool: boolean;
      /** `on (...)` / `ignoring (...)` for vector-vector matching; absent means all labels. */
      matching?: { on: boolean; labels: string[] };
    };

/** PromQL's operators but `atan2`, which LogQL lacks. */
export type BinOp = Exclude<ArithmeticOp, "atan2"> | ComparisonOp;

export type Query = { kind: "log"; selector: LogSelector } | { kind: "metric"; expr: MetricExpr };
