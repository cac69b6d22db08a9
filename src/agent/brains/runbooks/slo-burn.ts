import { call, say } from "./conversation";
import { finish, giveUp } from "./steps";
import type { Runbook } from "./types";

/** An SLO burning its error budget: a deploy just before the burn is rolled back; otherwise a person decides. */
export const sloBurn: Runbook = {
  name: "slo-burn",
  onViolated: (_t, c, findings) =>
    c.names.includes("list_deploys")
      ? null
      : [
          say(`The error budget is burning:\n${findings.join("\n")}\nChecking recent deploys.`),
          call(c.n, 0, "list_deploys", { limit: 5 }),
        ],
  after: {
    list_deploys: (_t, c, r) => {
      const changes = r && !r.is_error ? (JSON.parse(r.content) as { kind: string; at: string }[]) : [];
      const recent = changes.find((x) => x.kind === "deploy");
      if (recent)
        return [
          call(c.n, 0, "rollback", { reason: `error budget burning after the deploy at ${recent.at}` }),
        ];
      return [
        call(c.n, 0, "add_note", {
          text: "No recent deploy precedes the burn; the cause is elsewhere (traffic, config, dependency).",
        }),
        call(c.n, 1, "request_approval", {
          action: "human_review",
          reason: "No runbook fixes a burn without a recent deploy.",
        }),
      ];
    },
    rollback: (_t, c, r) =>
      r?.is_error
        ? giveUp(c.n, `Rollback failed: ${r.content}`)
        : finish(c.n, "Rolled back the deploy that preceded the error-budget burn."),
  },
};
