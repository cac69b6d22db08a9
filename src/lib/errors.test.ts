import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failure, fromElysia } from "../api/envelope";
import { AppError, type ErrorCode, httpStatus, toAppError } from "./errors";

const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), "harness-errors-")), name);

/** Runs `fn` and returns what it threw; each case below makes SQLite fail for real. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

// Another connection holds the write lock and this one does not wait for it.
function busy(): unknown {
  const path = tempFile("busy.db");
  const holder = new Database(path);
  holder.run("CREATE TABLE t (x INTEGER)");
  holder.run("BEGIN IMMEDIATE");
  const other = new Database(path);
  other.run("PRAGMA busy_timeout = 0");
  const err = thrown(() => other.run("INSERT INTO t VALUES (1)"));
  other.close();
  holder.close();
  return err;
}

// The database may not grow past its pages: what a full disk looks like to SQLite.
function full(): unknown {
  const db = new Database(":memory:");
  db.run("CREATE TABLE t (x BLOB)");
  db.run("PRAGMA max_page_count = 4");
  return thrown(() => db.run("INSERT INTO t VALUES (zeroblob(100000))"));
}

function notADatabase(): unknown {
  const path = tempFile("garbage.db");
  writeFileSync(
    path,
    "this is not an SQLite file, just text that is long enough to have a header".repeat(20),
  );
  return thrown(() => new Database(path).query("SELECT * FROM sqlite_master").all());
}

// A value we failed to validate reaching SQLite: our bug, not the caller's bad_data.
const mismatch = () => thrown(() => new Database(":memory:").query("SELECT 1 LIMIT ?").all(1.5));

describe("toAppError", () => {
  const cases: [string, () => unknown, ErrorCode, number][] = [
    ["SQLITE_BUSY", busy, "unavailable", 503],
    ["SQLITE_FULL", full, "unavailable", 503],
    ["SQLITE_NOTADB", notADatabase, "internal", 500],
    ["SQLITE_MISMATCH", mismatch, "internal", 500],
    ["a plain Error", () => new Error("boom"), "internal", 500],
    ["an AppError", () => new AppError("conflict", "taken"), "conflict", 409],
  ];
  test.each(cases)("%s", async (name, make, code, status) => {
    const err = make();
    const e = toAppError(err);
    expect(e.code).toBe(code);
    if (name.startsWith("SQLITE_")) expect(e.message).toContain(name);
    const res = failure(err);
    expect(res.status).toBe(status);
    expect(httpStatus[e.code]).toBe(status);
    // A fault of ours is never reported as the caller's bad input.
    expect(((await res.json()) as { errorType: string }).errorType).not.toBe("bad_data");
  });
});

describe("fromElysia", () => {
  test("a URIError from decoding the caller's URL is invalid (400), not internal", () => {
    const err = thrown(() => decodeURIComponent("%ff"));
    expect(fromElysia("UNKNOWN", err).code).toBe("invalid");
  });
});
