import { Elysia } from "elysia";
import { AppError } from "../lib/errors";
import type { Supervisor } from "../supervisor/supervisor";
import { success } from "./envelope";

export function serviceRoutes(supervisor: () => Supervisor | null) {
  const need = () => {
    const s = supervisor();
    if (!s) throw new AppError("unavailable", "this process does not supervise the service (run harness up)");
    return s;
  };
  return new Elysia()
    .get("/api/v1/service", () => success(supervisor()?.status() ?? []))
    .post("/api/v1/service/restart", async ({ query }) =>
      success(await need().restart(typeof query.instance === "string" ? query.instance : undefined)),
    );
}
