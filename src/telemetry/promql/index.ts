// Public surface of the embedded PromQL engine.
export type { Expr, Grouping, Modifiers, Span, VectorMatching } from "./ast";
export type { AnnotatedResult, EngineOptions } from "./engine";
export { instantQuery, instantQueryAnnotated, rangeQuery, rangeQueryAnnotated } from "./engine";
export { PromQLError } from "./errors";
export { fingerprint, MemoryQuerier } from "./memory-querier";
export { parsePromQL } from "./parse";
export { isStale, StaleNaN } from "./stale";
export type { CaseResult, TestCommand } from "./testscript";
export { parseTestScript, runTestScript } from "./testscript";
