import type { TemplatePart } from "./logql-ast";

const byteUnits: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  pib: 1024 ** 5,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
};

/** Human byte sizes as Loki reads them (`10KB` = 10000, `1KiB` = 1024); null when not a size. */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return null;
  const unit = (m[2] as string).toLowerCase();
  const factor = unit === "" ? 1 : byteUnits[unit];
  return factor === undefined ? null : Number(m[1]) * factor;
}

/** Unquotes a LogQL string: backticks are raw, double quotes take Go escapes. */
export function unquote(raw: string): string {
  if (raw.startsWith("`")) return raw.slice(1, -1);
  const body = raw.slice(1, -1);
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      a: "\x07",
      b: "\b",
      f: "\f",
      v: "\v",
    };
    return simple[e] ?? e;
  });
}

/**
 * The small Go-template subset used by line_format/label_format: `{{.name}}`, `{{ .name }}`,
 * `{{__line__}}` and `{{__timestamp__}}`. Anything else is rejected rather than rendered wrong.
 */
export function parseTemplate(src: string): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let rest = src;
  for (;;) {
    const open = rest.indexOf("{{");
    if (open < 0) break;
    const close = rest.indexOf("}}", open);
    if (close < 0) return "unclosed template action";
    if (open > 0) parts.push({ text: rest.slice(0, open) });
    const action = rest
      .slice(open + 2, close)
      .replace(/^-\s|\s-$/g, "")
      .trim();
    if (/^\.[A-Za-z_][A-Za-z0-9_]*$/.test(action)) parts.push({ label: action.slice(1) });
    else if (action === "__line__") parts.push({ line: true });
    else if (action === "__timestamp__") parts.push({ timestamp: true });
    else return `unsupported template action "{{${action}}}"`;
    rest = rest.slice(close + 2);
  }
  if (rest !== "") parts.push({ text: rest });
  return parts;
}
