import { parser } from "@grafana/lezer-logql";

const qs = process.argv.slice(2);
for (const q of qs) {
  const tree = parser.parse(q);
  let out = "";
  let depth = 0;
  tree.iterate({
    enter(n) {
      out += `${"  ".repeat(depth)}${n.name}${n.type.isError ? "!!" : ""} [${n.from},${n.to}] ${n.node.firstChild ? "" : JSON.stringify(q.slice(n.from, n.to))}\n`;
      depth++;
    },
    leave() {
      depth--;
    },
  });
  console.log("=== " + q + "\n" + out);
}
