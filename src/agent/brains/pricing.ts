import type { Usage } from "../types";

/** USD per million tokens. Cache writes are the 5-minute ephemeral writes, the only kind the brain asks for. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/** Anthropic prices cache writes at 1.25× and cache reads at 0.1× the base input price. */
const standard = (input: number, output: number): ModelPrice => ({
  input,
  output,
  cacheWrite: input * 1.25,
  cacheRead: input * 0.1,
});

// Only models whose list prices are known here; anything else is priced as unknown rather than guessed.
// Long-context (over 200K input tokens) premiums of the 1M-context betas are not modelled.
const prices = new Map<string, ModelPrice>(
  Object.entries({
    "claude-opus-4": standard(15, 75),
    "claude-opus-4-0": standard(15, 75),
    "claude-opus-4-1": standard(15, 75),
    "claude-opus-4-5": standard(5, 25),
    "claude-opus-4-6": standard(5, 25),
    "claude-opus-4-7": standard(5, 25),
    "claude-opus-4-8": standard(5, 25),
    "claude-opus-5": standard(5, 25),
    "claude-sonnet-4": standard(3, 15),
    "claude-sonnet-4-0": standard(3, 15),
    "claude-sonnet-4-5": standard(3, 15),
    "claude-sonnet-4-6": standard(3, 15),
    "claude-sonnet-5": standard(2, 10),
    "claude-haiku-4-5": standard(1, 5),
  }),
);

/** Dated snapshots (claude-sonnet-4-5-20250929) cost what their alias costs. */
export function priceOf(model: string): ModelPrice | null {
  return prices.get(model.replace(/-\d{8}$/, "")) ?? null;
}

/** What one call cost in USD at list prices, or null for a model without a known price (e.g. the runbook). */
export function costUsd(model: string, usage: Usage): number | null {
  const p = priceOf(model);
  if (!p) return null;
  const micro =
    usage.input_tokens * p.input +
    usage.output_tokens * p.output +
    (usage.cache_creation_input_tokens ?? 0) * p.cacheWrite +
    (usage.cache_read_input_tokens ?? 0) * p.cacheRead;
  return micro / 1_000_000;
}
