import { matchesLabel } from "../matchers";
import type { Labels, Matcher } from "../types";

/**
 * Canonical identity of a label set. Empty values are dropped first because Prometheus treats
 * `{a=""}` and `{}` as the same series.
 */
export function normalizeLabels(labels: Labels): Labels {
  const keys = Object.keys(labels).sort();
  const out: Labels = {};
  for (const k of keys) {
    const v = labels[k];
    if (v !== undefined && v !== "") out[k] = v;
  }
  return out;
}

/** Fingerprint of an already normalised (sorted, no empty values) label set. */
export function fingerprintOf(normalized: Labels): string {
  return JSON.stringify(normalized);
}

export const fingerprint = (labels: Labels): string => fingerprintOf(normalizeLabels(labels));

export const matchesAll = (ms: Matcher[], labels: Labels): boolean =>
  ms.every((m) => matchesLabel(m, labels[m.name]));
