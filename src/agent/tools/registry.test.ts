import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toolDefs } from "./registry";

test("docs/tools.md documents every tool with its inputs", () => {
  const doc = readFileSync(join(import.meta.dir, "../../../docs/tools.md"), "utf8");
  for (const t of toolDefs()) {
    const schema = t.input_schema as { properties?: Record<string, unknown>; required?: string[] };
    const props = Object.keys(schema.properties ?? {}).map(
      (k) => `${k}${schema.required?.includes(k) ? "" : "?"}`,
    );
    expect(doc).toContain(`## \`${t.name} {${props.join(", ")}}\``);
  }
});

test("contract inputs of the public tools", () => {
  const byName = Object.fromEntries(
    toolDefs().map((t) => [t.name, t.input_schema as { required?: string[] }]),
  );
  expect(byName.query_metrics?.required).toEqual(["query"]);
  expect(byName.read_file?.required).toEqual(["path"]);
  expect(byName.edit_file?.required).toEqual(["path", "new"]);
  expect(byName.add_note?.required).toEqual(["text"]);
  expect(byName.finish?.required).toEqual(["summary"]);
  expect(byName.give_up?.required).toEqual(["reason"]);
});
