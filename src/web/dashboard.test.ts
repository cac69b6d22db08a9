import { describe, expect, test } from "bun:test";
import { testCore } from "../testing/core";
import { dashboardRoutes } from "./routes";

function setup() {
  const { core } = testCore();
  const app = dashboardRoutes({
    core,
    banner: () => ({ brain: "runbook", metrics: "embedded", logs: "embedded" }),
    instances: () => [],
  });
  const get = async (path: string) => {
    const res = await app.handle(new Request(`http://localhost${path}`));
    return { status: res.status, text: await res.text(), type: res.headers.get("content-type") };
  };
  return { core, get };
}

describe("dashboard", () => {
  test("overview lists tickets with status and auto-refresh, and names the brain", async () => {
    const { core, get } = setup();
    core.tickets.create({ title: "Capacity headroom low", objective: "raise it", priority: "P2" }, "t");
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.type).toContain("text/html");
    expect(page.text).toContain("Capacity headroom low");
    expect(page.text).toContain('hx-get="/partials/tickets"');
    expect(page.text).toContain("runbook");
    expect(page.text).toContain('src="/public/htmx.min.js"');
  });

  test("text from tickets is escaped, never executed", async () => {
    const { core, get } = setup();
    const t = core.tickets.create(
      { title: "<script>alert(1)</script>", objective: "<img src=x onerror=alert(2)>" },
      "t",
    );
    core.tickets.addEvent(t.id, "note", "p", { text: "</pre><script>alert(3)</script>" });
    for (const path of ["/", "/partials/tickets", `/tickets/${t.id}`]) {
      const { text } = await get(path);
      expect(text).not.toContain("<script>alert");
      expect(text).not.toContain("<img src=x");
    }
    expect((await get(`/tickets/${t.id}`)).text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  test("ticket detail shows the timeline; unknown ticket is a 404 page", async () => {
    const { core, get } = setup();
    const t = core.tickets.create({ title: "x", objective: "o" }, "t");
    core.tickets.addEvent(t.id, "note", "p", { text: "looked into it" });
    const page = await get(`/tickets/${t.id}`);
    expect(page.text).toContain("looked into it");
    expect(page.text).toContain("created");
    expect((await get("/tickets/999")).status).toBe(404);
  });

  test("serves htmx and the stylesheet from the binary", async () => {
    const { get } = setup();
    const js = await get("/public/htmx.min.js");
    expect(js.status).toBe(200);
    expect(js.text).toContain("htmx");
    expect((await get("/public/app.css")).text).toContain("prefers-color-scheme: dark");
  });
});
