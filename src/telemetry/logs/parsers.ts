import type { Extraction } from "./logql-ast";

/** Loki sanitises extracted keys into valid label names. */
export const sanitizeLabelName = (k: string): string => {
  const s = k.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
};

const scalar = (v: unknown): string | null => {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return null;
};

function flatten(obj: Record<string, unknown>, prefix: string, out: [string, string][]): void {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}_${k}` : k;
    if (v !== null && typeof v === "object") {
      // Loki flattens nested objects with `_` and skips arrays.
      if (!Array.isArray(v)) flatten(v as Record<string, unknown>, name, out);
      continue;
    }
    out.push([sanitizeLabelName(name), scalar(v) ?? ""]);
  }
}

/** `a.b[0]["c d"]` into ["a", "b", 0, "c d"]; null when malformed. */
export function parseJsonPath(path: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  const re = /\.?([A-Za-z_$@][\w$@-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;
  let pos = 0;
  while (pos < path.length) {
    re.lastIndex = pos;
    const m = re.exec(path);
    if (!m) return null;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push((m[3] as string).replace(/\\(.)/g, "$1"));
    pos = re.lastIndex;
  }
  return out.length > 0 ? out : null;
}

/** Extracts labels from a JSON line: all fields flattened, or just the requested paths. */
export function parseJsonLine(line: string, params: Extraction[]): [string, string][] | "error" {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return "error";
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return "error";
  const out: [string, string][] = [];
  if (params.length === 0) {
    flatten(doc as Record<string, unknown>, "", out);
    return out;
  }
  for (const p of params) {
    const path = parseJsonPath(p.path ?? p.name) ?? [];
    let cur: unknown = doc;
    for (const key of path) {
      if (cur === null || typeof cur !== "object") {
        cur = undefined;
        break;
      }
      cur = (cur as Record<string | number, unknown>)[key];
    }
    if (cur === undefined) continue;
    out.push([p.name, scalar(cur) ?? JSON.stringify(cur)]);
  }
  return out;
}

/** logfmt pairs (`a=1 b="x y" flag`); "error" on a malformed pair when strict. */
export function parseLogfmtLine(
  line: string,
  strict: boolean,
  keepEmpty: boolean,
): [string, string][] | "error" {
  const out: [string, string][] = [];
  const re = /\s*([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?|\s*(\S+)/y;
  let pos = 0;
  while (pos < line.length) {
    re.lastIndex = pos;
    const m = re.exec(line);
    if (!m || re.lastIndex === pos) break;
    pos = re.lastIndex;
    if (m[3] !== undefined) {
      if (strict) return "error";
      continue;
    }
    const key = m[1] as string;
    let value = m[2] ?? "";
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        value = value.slice(1, -1);
      }
    }
    if (value === "" && !keepEmpty) continue;
    out.push([sanitizeLabelName(key), value]);
  }
  return out;
}

export function pickLogfmt(pairs: [string, string][], params: Extraction[]): [string, string][] {
  if (params.length === 0) return pairs;
  const byKey = new Map(pairs);
  const out: [string, string][] = [];
  for (const p of params) {
    const v = byKey.get(sanitizeLabelName(p.path ?? p.name));
    if (v !== undefined) out.push([p.name, v]);
  }
  return out;
}
