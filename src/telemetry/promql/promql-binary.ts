import { applyBinary, type BinaryOp, isArithmetic, isComparison, pairResult } from "../binops";
import type { InstantSample, Labels } from "../types";
import { PromQLError } from "./promql-error";
import { formatLabels } from "./promql-util";

// Binary operators between instant vectors and scalars, with Prometheus's vector matching rules.

export interface VectorMatching {
  /** one-to-one, many-to-one (group_left) or one-to-many (group_right). */
  card: "one-to-one" | "many-to-one" | "one-to-many";
  /** `on(...)` (true) or `ignoring(...)` / no modifier (false). */
  on: boolean;
  names: string[];
  /** Extra labels copied from the "one" side by group_left/group_right. */
  include: string[];
}

/** The operator's value for one pair (comparisons as 1/0); set operators never get here. */
export function applyOp(op: string, a: number, b: number): number {
  return applyBinary(known(op), a, b);
}

function known(op: string): BinaryOp {
  if (isComparison(op) || isArithmetic(op)) return op;
  throw new PromQLError(`operator ${op} is not supported here`);
}

const key = (l: Labels) =>
  JSON.stringify(
    Object.keys(l)
      .sort()
      .map((k) => [k, l[k]]),
  );

const dropName = (l: Labels): Labels => {
  const { __name__: _, ...rest } = l;
  return rest;
};

/** The labels a match group is identified by (what the signature is built from). */
function groupOf(l: Labels, m: Pick<VectorMatching, "on" | "names">): Labels {
  const keep: Labels = {};
  for (const [k, v] of Object.entries(l))
    if (m.on ? m.names.includes(k) : !m.names.includes(k) && k !== "__name__") keep[k] = v;
  return keep;
}

/** The match signature: the `on` labels, or all labels but the ignored ones and the metric name. */
export function signature(l: Labels, m: Pick<VectorMatching, "on" | "names">): string {
  const keep: Labels = {};
  for (const [k, v] of Object.entries(l)) {
    if (m.on ? m.names.includes(k) : !m.names.includes(k) && k !== "__name__") keep[k] = v;
  }
  return key(keep);
}

export function setOp(
  op: string,
  lhs: InstantSample[],
  rhs: InstantSample[],
  m: VectorMatching,
): InstantSample[] {
  const sig = (l: Labels) => signature(l, m);
  if (op === "and" || op === "unless") {
    const keys = new Set(rhs.map((s) => sig(s.labels)));
    return lhs.filter((s) => keys.has(sig(s.labels)) === (op === "and"));
  }
  const keys = new Set(lhs.map((s) => sig(s.labels)));
  return [...lhs, ...rhs.filter((s) => !keys.has(sig(s.labels)))];
}

function resultLabels(ls: Labels, rs: Labels, op: string, m: VectorMatching, returnBool: boolean): Labels {
  let out: Labels = { ...ls };
  if (!isComparison(op) || returnBool) out = dropName(out);
  if (m.card === "one-to-one") {
    out = Object.fromEntries(
      Object.entries(out).filter(([k]) => (m.on ? m.names.includes(k) : !m.names.includes(k))),
    );
  }
  for (const ln of m.include) {
    const v = rs[ln];
    if (v !== undefined && v !== "") out[ln] = v;
    else delete out[ln];
  }
  return out;
}

export function vectorOp(
  op: string,
  lhsIn: InstantSample[],
  rhsIn: InstantSample[],
  m: VectorMatching,
  returnBool: boolean,
  t: number,
): InstantSample[] {
  const swapped = m.card === "one-to-many";
  const [lhs, rhs] = swapped ? [rhsIn, lhsIn] : [lhsIn, rhsIn];
  const sig = (l: Labels) => signature(l, m);
  const right = new Map<string, InstantSample>();
  for (const s of rhs) {
    const k = sig(s.labels);
    const prev = right.get(k);
    if (prev) {
      const pair = [formatLabels(prev.labels), formatLabels(s.labels)].sort();
      throw new PromQLError(
        `found duplicate series for the match group ${formatLabels(groupOf(s.labels, m))} on the ${swapped ? "left" : "right"} hand-side of the operation: [${pair.join(", ")}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(k, s);
  }
  const matched = new Map<string, Set<string>>();
  const oneToOne = new Set<string>();
  const out: InstantSample[] = [];
  const binop = known(op);
  for (const ls of lhs) {
    const k = sig(ls.labels);
    const rs = right.get(k);
    if (!rs) continue;
    // Checked before comparisons filter anything, so the error does not depend on the sample values.
    if (m.card === "one-to-one") {
      if (oneToOne.has(k))
        throw new PromQLError(
          "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
        );
      oneToOne.add(k);
    }
    const [fl, fr] = swapped ? [rs.v, ls.v] : [ls.v, rs.v];
    // A filtering comparison keeps the left-hand side's value.
    const v = pairResult(binop, fl, fr, returnBool, fl);
    if (v === null) continue;
    const labels = resultLabels(ls.labels, rs.labels, op, m, returnBool);
    const seen = matched.get(k);
    if (m.card !== "one-to-one") {
      const lk = key(labels);
      const set = seen ?? new Set<string>();
      if (set.has(lk))
        throw new PromQLError("multiple matches for labels: grouping labels must ensure unique matches");
      set.add(lk);
      matched.set(k, set);
    }
    out.push({ labels, t, v });
  }
  return out;
}

export function vectorScalarOp(
  op: string,
  samples: InstantSample[],
  scalar: number,
  scalarLeft: boolean,
  returnBool: boolean,
  t: number,
): InstantSample[] {
  const binop = known(op);
  const filtering = isComparison(binop) && !returnBool;
  const out: InstantSample[] = [];
  for (const s of samples) {
    const [a, b] = scalarLeft ? [scalar, s.v] : [s.v, scalar];
    const v = pairResult(binop, a, b, returnBool, s.v);
    // A filtering comparison keeps the vector's own value and name.
    if (v !== null) out.push({ labels: filtering ? s.labels : dropName(s.labels), t, v });
  }
  return out;
}
