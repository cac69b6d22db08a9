import m001 from "../../../sql/metrics/001_init.sql" with { type: "text" };
import type { Migration } from "../../db/migrations";

/** Listed explicitly so `bun build --compile` embeds every file. */
export const metricMigrations: Migration[] = [{ version: 1, name: "metrics/001_init.sql", sql: m001 }];
