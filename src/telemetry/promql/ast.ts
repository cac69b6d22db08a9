import type { Matcher } from "../types";

// The typed PromQL syntax tree handed to callers of parsePromQL (linting, explaining, label discovery).
// Every node records its source span so errors and annotations can point back into the query text.

export interface Span {
  from: number;
  to: number;
}

/** `@ <ts>`, `@ start()`, `@ end()` and `offset`, shared by selectors and subqueries. */
export interface Modifiers {
  offsetMs?: number;
  at?: { kind: "time"; ms: number } | { kind: "start" } | { kind: "end" };
}

export type Expr =
  | ({ type: "number"; value: number } & Span)
  | ({ type: "string"; value: string } & Span)
  | ({ type: "vector"; name?: string; matchers: Matcher[] } & Modifiers & Span)
  | ({ type: "matrix"; selector: VectorSelectorExpr; rangeMs: number } & Modifiers & Span)
  | ({ type: "subquery"; expr: Expr; rangeMs: number; stepMs?: number } & Modifiers & Span)
  | ({ type: "paren"; expr: Expr } & Span)
  | ({ type: "unary"; op: "-" | "+"; expr: Expr } & Span)
  | ({ type: "binary"; op: string; lhs: Expr; rhs: Expr; bool: boolean; matching?: VectorMatching } & Span)
  | ({ type: "call"; func: string; args: Expr[] } & Span)
  | ({ type: "aggregate"; op: string; param?: Expr; expr: Expr; grouping?: Grouping } & Span);

export type VectorSelectorExpr = Extract<Expr, { type: "vector" }>;

export interface Grouping {
  without: boolean;
  labels: string[];
}

export interface VectorMatching {
  card: "one-to-one" | "many-to-one" | "one-to-many";
  /** `on(...)` when true, `ignoring(...)` when false. */
  on: boolean;
  labels: string[];
  /** Extra labels copied from the "one" side with group_left/group_right. */
  include: string[];
}
