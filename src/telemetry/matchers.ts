import { compileRegex } from "./regex";
import type { Matcher } from "./types";

// Label matching shared by the metric store, PromQL selection and LogQL streams.

/** Prometheus/Loki matcher semantics: a missing label matches as the empty string. */
export function matchesLabel(m: Matcher, value: string | undefined): boolean {
  const v = value ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return compileRegex(m.value, "anchored").test(v);
    case "!~":
      return !compileRegex(m.value, "anchored").test(v);
  }
}
