import m001 from "../../sql/001_init.sql" with { type: "text" };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Listed explicitly so `bun build --compile` embeds every file. */
export const migrations: Migration[] = [{ version: 1, name: "001_init.sql", sql: m001 }];
