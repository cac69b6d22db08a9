import { call, say } from "./conversation";
import { finish, restartedSummary } from "./steps";
import type { Runbook } from "./types";

/** An instance that is down or hung (RateLimiterDown) is the one fault a restart fixes. */
export const instanceDown: Runbook = {
  name: "instance-down",
  onViolated: (_t, c, findings) =>
    c.names.includes("restart_service")
      ? null
      : [
          say(`Availability criteria are violated:\n${findings.join("\n")}`),
          call(c.n, 0, "restart_service", { reason: "instance down or not answering scrapes" }),
        ],
  after: {
    restart_service: (_t, c) => finish(c.n, restartedSummary),
  },
};
