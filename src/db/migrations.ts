import m001 from "../../sql/001_init.sql" with { type: "text" };
import m002 from "../../sql/002_webhooks.sql" with { type: "text" };
import m003 from "../../sql/003_anomalies_schedules.sql" with { type: "text" };
import m004 from "../../sql/004_deploys.sql" with { type: "text" };
import m005 from "../../sql/005_invariant_language.sql" with { type: "text" };
import m006 from "../../sql/006_rule_state_series.sql" with { type: "text" };
import m007 from "../../sql/007_deploy_metrics.sql" with { type: "text" };
import m008 from "../../sql/008_anomaly_min_change_for.sql" with { type: "text" };
import m009 from "../../sql/009_revoked_sessions.sql" with { type: "text" };
import m010 from "../../sql/010_ticket_outcomes.sql" with { type: "text" };
import m011 from "../../sql/011_notifications.sql" with { type: "text" };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Listed explicitly so `bun build --compile` embeds every file. */
export const migrations: Migration[] = [
  { version: 1, name: "001_init.sql", sql: m001 },
  { version: 2, name: "002_webhooks.sql", sql: m002 },
  { version: 3, name: "003_anomalies_schedules.sql", sql: m003 },
  { version: 4, name: "004_deploys.sql", sql: m004 },
  { version: 5, name: "005_invariant_language.sql", sql: m005 },
  { version: 6, name: "006_rule_state_series.sql", sql: m006 },
  { version: 7, name: "007_deploy_metrics.sql", sql: m007 },
  { version: 8, name: "008_anomaly_min_change_for.sql", sql: m008 },
  { version: 9, name: "009_revoked_sessions.sql", sql: m009 },
  { version: 10, name: "010_ticket_outcomes.sql", sql: m010 },
  { version: 11, name: "011_notifications.sql", sql: m011 },
];
