import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MetricsBackend } from "../../telemetry/types";
import { testCore } from "../../testing/core";
import { testTicket } from "../../testing/tickets";
import { git } from "../../workspace/git";
import { ensureWorkspace } from "../../workspace/workspace";
import type { ToolContext } from "../types";
import { tools } from "./registry";

// A real workspace materialised from the bundled rate-limiter sources, validated by the service itself.
const workspace = ensureWorkspace(join(mkdtempSync(join(tmpdir(), "harness-ops-")), "rate-limiter")).dir;

function ctxOf(core: ReturnType<typeof testCore>["core"], ticket: ToolContext["ticket"]): ToolContext {
  return {
    core,
    ticket,
    metrics: {} as MetricsBackend,
    supervisor: null,
    workspaceDir: workspace,
    workerId: "w",
  };
}

function setup() {
  const { core } = testCore();
  const t = testTicket(
    core,
    { title: "headroom low", objective: "raise capacity", priority: "P2" },
    "monitor",
  );
  const ctx: ToolContext = {
    core,
    ticket: t,
    metrics: {} as MetricsBackend,
    supervisor: null,
    workspaceDir: workspace,
    workerId: "w",
  };
  const call = async (name: string, input: Record<string, unknown>) => {
    const tool = tools.find((x) => x.name === name);
    if (!tool) throw new Error(name);
    return tool.run(tool.input.parse(input), ctx);
  };
  return { core, t, call };
}

describe("config and ticket tools", () => {
  test("update_config validates with the service's validator, commits with the ticket, and records the change", async () => {
    const { core, t, call } = setup();
    const before = (await call("get_config", {})).output as {
      content: string;
      hash: string;
      uncommitted_change: boolean;
    };
    expect(before.content).toContain("capacity: 100");
    expect(before.uncommitted_change).toBe(false);
    const candidates = () => readdirSync(tmpdir()).filter((n) => n.startsWith("harness-limits-")).length;
    const leftBefore = candidates();
    const bad = await call("update_config", {
      content: "default: { name: d, capacity: -5, refill_per_second: 1 }\n",
    });
    expect(bad.isError).toBe(true);
    expect(String(bad.output)).toContain("default.capacity");
    const raised = before.content.replace("capacity: 100", "capacity: 150");
    const goodCommit = git(workspace, ["rev-parse", "HEAD"]).stdout.trim();
    const ok = await call("update_config", { content: raised, reason: "headroom" });
    expect(ok.output).toMatchObject({ applied: true });
    // Each validation's candidate file is gone once it is judged.
    expect(candidates()).toBeLessThanOrEqual(leftBefore);
    expect((await call("get_config", {})).output).toMatchObject({ content: raised });
    expect(git(workspace, ["log", "-1", "--format=%B"]).stdout).toContain(`Ticket: ${t.id}`);
    const change = core.tickets.events(t.id).find((e) => e.kind === "config_change");
    expect(change?.data.hash).toMatch(/^[0-9a-f]{12}$/);
    expect((await call("list_deploys", {})).output).toMatchObject([{ kind: "config_change", ticket: t.id }]);
    // An edit outside any ticket shows up against the committed version.
    await Bun.write(join(workspace, "limits.yaml"), "default: { capacity: -1 }\n");
    expect((await call("get_config", {})).output).toMatchObject({
      uncommitted_change: true,
      committed: raised,
    });
    await Bun.write(join(workspace, "limits.yaml"), raised);
    // A ticket whose baseline names the revision before that commit is offered its limits to go back to.
    expect((await call("get_config", {})).output).toMatchObject({ last_known_good: null });
    const later = testTicket(
      core,
      { title: "headroom low again", objective: "x", context: { baseline: { commit: goodCommit } } },
      "monitor",
    );
    const tool = tools.find((x) => x.name === "get_config") as (typeof tools)[number];
    const out = (await tool.run({}, ctxOf(core, later))).output as {
      last_known_good: { commit: string; content: string };
    };
    expect(out.last_known_good).toEqual({ commit: goodCommit, content: before.content });
    // A baseline commit that is not a full hex id is ignored, never passed to git.
    const forged = testTicket(
      core,
      { title: "f", objective: "x", context: { baseline: { commit: "--output=/tmp/x" } } },
      "monitor",
    );
    expect(
      ((await tool.run({}, ctxOf(core, forged))).output as { last_known_good: unknown }).last_known_good,
    ).toBeNull();
  });

  test("create_ticket links a follow-up; list_tickets finds it", async () => {
    const { t, call } = setup();
    const created = (await call("create_ticket", { title: "Follow up", objective: "later" })).output as {
      created: number;
    };
    const list = (await call("list_tickets", { source: "agent" })).output as { id: number }[];
    expect(list.map((x) => x.id)).toEqual([created.created]);
    expect(created.created).toBeGreaterThan(t.id);
  });
});
