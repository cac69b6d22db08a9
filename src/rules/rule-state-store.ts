import type { Database } from "bun:sqlite";

export interface RuleStateRow {
  rule_key: string;
  pending_since: number | null;
  started_at: number | null;
  last_value: number | null;
  last_eval_at: number | null;
  last_error: string | null;
  consecutive_errors: number;
  /** JSON: label fingerprint → pending since, for per-series `for`. */
  series_state: string | null;
  /** Firing (1) or not (0) at each recent evaluation, newest last. */
  history: string;
  flapping: number;
}

/**
 * The key a rule's state is stored under (`invariant:NAME`): the monitor reads and writes it, the Prometheus
 * rules API reads it, and deleting the rule drops it.
 */
export const ruleStateKey = (kind: "invariant" | "slo" | "anomaly", name: string) => `${kind}:${name}`;

/** Per-rule evaluation memory in SQLite, so `for` timers and verification windows survive restarts. */
/** The state a rule starts with: what `get` returns for a key never stored. */
export function freshState(ruleKey: string): RuleStateRow {
  return {
    rule_key: ruleKey,
    pending_since: null,
    started_at: null,
    last_value: null,
    last_eval_at: null,
    last_error: null,
    consecutive_errors: 0,
    series_state: null,
    history: "",
    flapping: 0,
  };
}

export function createRuleStateStore(db: Database) {
  const get = db.query<RuleStateRow, [string]>("SELECT * FROM rule_state WHERE rule_key = ?");
  return {
    get(key: string): RuleStateRow {
      return get.get(key) ?? freshState(key);
    },
    put(row: RuleStateRow): void {
      db.query(
        `INSERT INTO rule_state (rule_key, pending_since, started_at, last_value, last_eval_at, last_error,
           consecutive_errors, series_state, history, flapping)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (rule_key) DO UPDATE SET pending_since = excluded.pending_since, started_at = excluded.started_at,
           last_value = excluded.last_value, last_eval_at = excluded.last_eval_at, last_error = excluded.last_error,
           consecutive_errors = excluded.consecutive_errors, series_state = excluded.series_state,
           history = excluded.history, flapping = excluded.flapping`,
      ).run(
        row.rule_key,
        row.pending_since,
        row.started_at,
        row.last_value !== null && Number.isFinite(row.last_value) ? row.last_value : null,
        row.last_eval_at,
        row.last_error,
        row.consecutive_errors,
        row.series_state ?? null,
        row.history ?? "",
        row.flapping ?? 0,
      );
    },
    delete(key: string): void {
      db.query("DELETE FROM rule_state WHERE rule_key = ?").run(key);
    },
    all(): RuleStateRow[] {
      return db.query<RuleStateRow, []>("SELECT * FROM rule_state ORDER BY rule_key").all();
    },
  };
}

export type RuleStateStore = ReturnType<typeof createRuleStateStore>;
