/** @jsxImportSource @kitajs/html */
import { Elysia } from "elysia";
import type { Invariant, Slo } from "../rules/model";
import {
  authorizeForm,
  type DashboardDeps,
  type FormBody,
  forbidden,
  type Viewer,
  viewerOf,
} from "./context";
import { fieldErrors, redirect } from "./form-errors";
import { Csrf, FieldError, Layout, NeedsLogin } from "./layout";

function Toggle(props: { kind: string; id: number; enabled: boolean; viewer: Viewer }) {
  return (
    <NeedsLogin viewer={props.viewer}>
      <form method="post" action={`/${props.kind}/${props.id}/toggle`} class="inline">
        <Csrf viewer={props.viewer} />
        <button type="submit" class="secondary">
          {props.enabled ? "Disable" : "Enable"}
        </button>
      </form>
    </NeedsLogin>
  );
}

function SloTable(props: { slos: Slo[]; viewer: Viewer }) {
  if (props.slos.length === 0) return <p class="muted">No SLOs defined.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Objective</th>
          <th>Window</th>
          <th>SLI</th>
          <th>State</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.slos.map((s) => (
          <tr id={`slo-${s.id}`}>
            <td safe>{s.name}</td>
            <td safe>{`${s.objective}%`}</td>
            <td safe>{s.window}</td>
            <td>
              <code safe>{s.sli.bad ? `bad: ${s.sli.bad}` : `good: ${s.sli.good}`}</code>
              <br />
              <code safe>{`total: ${s.sli.total}`}</code>
            </td>
            <td>{s.enabled ? "enabled" : "disabled"}</td>
            <td>
              <a href={`/api/v1/slos/${s.id}/status`}>status</a>{" "}
              <Toggle kind="slos" id={s.id} enabled={s.enabled} viewer={props.viewer} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function InvariantTable(props: {
  items: Invariant[];
  viewer: Viewer;
  states: Map<string, { last_value: number | null; last_error: string | null }>;
}) {
  if (props.items.length === 0) return <p class="muted">No invariants defined.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Query</th>
          <th>For</th>
          <th>Severity</th>
          <th>Last evaluation</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.items.map((i) => {
          const st = props.states.get(`invariant:${i.name}`);
          const state = !i.enabled
            ? "disabled"
            : st?.last_error
              ? `error: ${st.last_error}`
              : st?.last_value
                ? `failing (${st.last_value} series)`
                : st
                  ? "passing"
                  : "not evaluated yet";
          return (
            <tr id={`invariant-${i.id}`}>
              <td safe>{i.name}</td>
              <td>
                {i.language === "logql" ? <span class="muted">LogQL </span> : ""}
                <code safe>{i.query}</code>
              </td>
              <td safe>{i.for}</td>
              <td safe>{i.severity}</td>
              <td safe>{state}</td>
              <td>
                <Toggle kind="invariants" id={i.id} enabled={i.enabled} viewer={props.viewer} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function SloForm(props: { viewer: Viewer; errors: Record<string, string>; values: FormBody }) {
  const v = props.values;
  return (
    <NeedsLogin viewer={props.viewer}>
      <form method="post" action="/slos" class="stack" id="new-slo">
        <Csrf viewer={props.viewer} />
        <FieldError errors={props.errors} field="_form" />
        <label>
          Name <input name="name" value={v.name ?? ""} />
          <FieldError errors={props.errors} field="name" />
        </label>
        <label>
          Objective (%) <input name="objective" value={v.objective ?? "99.9"} />
          <FieldError errors={props.errors} field="objective" />
        </label>
        <label>
          Window <input name="window" value={v.window ?? "30d"} />
          <FieldError errors={props.errors} field="window" />
        </label>
        <label>
          Bad events (PromQL) <input name="bad" value={v.bad ?? ""} />
        </label>
        <label>
          Total events (PromQL) <input name="total" value={v.total ?? ""} />
          <FieldError errors={props.errors} field="sli" />
        </label>
        <div>
          <button type="submit">Create SLO</button>
        </div>
      </form>
    </NeedsLogin>
  );
}

function InvariantForm(props: { viewer: Viewer; errors: Record<string, string>; values: FormBody }) {
  const v = props.values;
  return (
    <NeedsLogin viewer={props.viewer}>
      <form method="post" action="/invariants" class="stack" id="new-invariant">
        <Csrf viewer={props.viewer} />
        <FieldError errors={props.errors} field="_form" />
        <label>
          Name <input name="name" value={v.name ?? ""} />
          <FieldError errors={props.errors} field="name" />
        </label>
        <label>
          Query (returns the violating series) <input name="query" value={v.query ?? ""} />
          <FieldError errors={props.errors} field="query" />
        </label>
        <label>
          Language
          <select name="language">
            <option value="promql" selected={(v.language ?? "promql") === "promql"}>
              PromQL (metrics)
            </option>
            <option value="logql" selected={v.language === "logql"}>
              LogQL metric query (logs)
            </option>
          </select>
        </label>
        <label>
          For <input name="for" value={v.for ?? "1m"} />
          <FieldError errors={props.errors} field="for" />
        </label>
        <label>
          Severity
          <select name="severity">
            {["critical", "high", "warning", "info"].map((s) => (
              <option value={s} selected={(v.severity ?? "warning") === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <div>
          <button type="submit">Create invariant</button>
        </div>
      </form>
    </NeedsLogin>
  );
}

export function rulePages(
  deps: DashboardDeps,
  states: () => Map<string, { last_value: number | null; last_error: string | null }>,
) {
  const { core } = deps;
  /** A list of definitions above its create form; the form keeps the person's input and errors on a 400. */
  const page =
    (
      title: string,
      newTitle: string,
      table: (v: Viewer) => JSX.Element,
      form: (v: Viewer, e: Record<string, string>, f: FormBody) => JSX.Element,
    ) =>
    (request: Request, errors: Record<string, string> = {}, values: FormBody = {}) => {
      const viewer = viewerOf(deps, request);
      return (
        <Layout title={title} banner={deps.banner()} viewer={viewer}>
          <section>
            <h2 safe>{title}</h2>
            {table(viewer)}
          </section>
          <section>
            <h2 safe>{newTitle}</h2>
            {form(viewer, errors, values)}
          </section>
        </Layout>
      );
    };
  const sloPage = page(
    "SLOs",
    "New SLO",
    (viewer) => <SloTable slos={core.rules.listSlos()} viewer={viewer} />,
    (viewer, errors, values) => <SloForm viewer={viewer} errors={errors} values={values} />,
  );
  const invariantPage = page(
    "Invariants",
    "New invariant",
    (viewer) => <InvariantTable items={core.rules.listInvariants()} viewer={viewer} states={states()} />,
    (viewer, errors, values) => <InvariantForm viewer={viewer} errors={errors} values={values} />,
  );
  return new Elysia()
    .get("/slos", ({ request }) => sloPage(request))
    .post("/slos", ({ body, request, set }) => {
      const f = (body ?? {}) as FormBody;
      if (!authorizeForm(deps, request, f)) return forbidden();
      try {
        core.rules.createSlo({
          name: f.name,
          objective: f.objective === undefined || f.objective === "" ? undefined : Number(f.objective),
          window: f.window || "30d",
          sli: {
            total: f.total || undefined,
            ...(f.bad ? { bad: f.bad } : {}),
            ...(f.good ? { good: f.good } : {}),
          },
        });
        return redirect("/slos");
      } catch (err) {
        set.status = 400;
        return sloPage(request, fieldErrors(err), f);
      }
    })
    .post("/slos/:id/toggle", ({ params, body, request }) => {
      if (!authorizeForm(deps, request, (body ?? {}) as FormBody)) return forbidden();
      const s = core.rules.getSlo(Number(params.id));
      core.rules.updateSlo(s.id, { enabled: !s.enabled });
      return redirect("/slos");
    })
    .get("/invariants", ({ request }) => invariantPage(request))
    .post("/invariants", ({ body, request, set }) => {
      const f = (body ?? {}) as FormBody;
      if (!authorizeForm(deps, request, f)) return forbidden();
      try {
        core.rules.createInvariant({
          name: f.name,
          query: f.query,
          language: f.language || "promql",
          for: f.for || "0s",
          severity: f.severity || "warning",
        });
        return redirect("/invariants");
      } catch (err) {
        set.status = 400;
        return invariantPage(request, fieldErrors(err), f);
      }
    })
    .post("/invariants/:id/toggle", ({ params, body, request }) => {
      if (!authorizeForm(deps, request, (body ?? {}) as FormBody)) return forbidden();
      const i = core.rules.getInvariant(Number(params.id));
      core.rules.updateInvariant(i.id, { enabled: !i.enabled });
      return redirect("/invariants");
    });
}
