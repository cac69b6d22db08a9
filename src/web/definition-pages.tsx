/** @jsxImportSource @kitajs/html */
import { Elysia } from "elysia";
import {
  authorizeForm,
  type DashboardDeps,
  type FormBody,
  forbidden,
  type Viewer,
  viewerOf,
} from "./context";
import type { Definition, Field } from "./definitions";
import { fieldErrors, formFailureStatus, redirect } from "./form-errors";
import { Csrf, FieldError, Layout, NeedsLogin } from "./layout";

// One set of pages and routes for every rule kind (SLOs, invariants, anomaly detectors, schedules):
// list with state and actions, create form, edit form, enable/disable, delete, and "evaluate now".

function Input(props: { field: Field; value: string | undefined }) {
  const f = props.field;
  const value = props.value ?? f.default ?? "";
  if (f.kind === "select")
    return (
      <select name={f.name} id={`field-${f.name}`}>
        {(f.options ?? []).map(([v, label]) => (
          <option value={v} selected={value === v}>
            {label}
          </option>
        ))}
      </select>
    );
  if (f.kind === "textarea")
    return (
      <textarea name={f.name} id={`field-${f.name}`} rows="3" safe>
        {value}
      </textarea>
    );
  return <input name={f.name} id={`field-${f.name}`} value={value} placeholder={f.placeholder ?? ""} />;
}

export function DefinitionForm(props: {
  def: Definition<{ id: number }>;
  viewer: Viewer;
  errors: Record<string, string>;
  values: FormBody;
  id?: number;
}) {
  const { def, errors, values } = props;
  const action = props.id === undefined ? `/${def.path}` : `/${def.path}/${props.id}`;
  return (
    <NeedsLogin viewer={props.viewer}>
      <form
        method="post"
        action={action}
        class="stack"
        id={props.id === undefined ? `new-${def.singular}` : `edit-${def.singular}`}
      >
        <Csrf viewer={props.viewer} />
        <FieldError errors={errors} field="_form" />
        {def.fields.map((f) => (
          <label for={`field-${f.name}`}>
            <span safe>{f.label}</span> <Input field={f} value={values[f.name]} />
            <FieldError errors={errors} field={f.errorKey ?? f.name} />
          </label>
        ))}
        <div>
          <button type="submit">{props.id === undefined ? `Create ${def.noun}` : "Save"}</button>
          {props.id !== undefined ? (
            <>
              {" "}
              <a href={`/${def.path}`}>Cancel</a>
            </>
          ) : (
            ""
          )}
        </div>
      </form>
    </NeedsLogin>
  );
}

function Actions(props: {
  def: Definition<{ id: number }>;
  item: { id: number; enabled: boolean };
  viewer: Viewer;
}) {
  const { def, item, viewer } = props;
  const base = `/${def.path}/${item.id}`;
  return (
    <td class="actions">
      <a
        href={`${base}/evaluate`}
        hx-get={`${base}/evaluate`}
        hx-target={`#eval-${def.path}-${item.id}`}
        hx-swap="innerHTML"
        class="button secondary"
      >
        Evaluate now
      </a>
      {viewer.session ? (
        <>
          {" "}
          <a href={`${base}/edit`} class="button">
            Edit
          </a>{" "}
          <form method="post" action={`${base}/toggle`} class="inline">
            <Csrf viewer={viewer} />
            <button type="submit" class="secondary">
              {item.enabled ? "Disable" : "Enable"}
            </button>
          </form>{" "}
          <form
            method="post"
            action={`${base}/delete`}
            class="inline"
            onsubmit="return confirm('Delete this rule?')"
          >
            <Csrf viewer={viewer} />
            <button type="submit" class="danger">
              Delete
            </button>
          </form>
        </>
      ) : (
        ""
      )}
    </td>
  );
}

function DefinitionTable(props: {
  def: Definition<{ id: number }>;
  items: { id: number; enabled: boolean }[];
  viewer: Viewer;
}) {
  const { def } = props;
  if (props.items.length === 0) return <p class="muted" safe>{`No ${def.title.toLowerCase()} defined.`}</p>;
  const columns = def.columns();
  return (
    <table>
      <thead>
        <tr>
          {columns.map(([h]) => (
            <th safe>{h}</th>
          ))}
          <th />
        </tr>
      </thead>
      <tbody>
        {props.items.map((item) => (
          <>
            <tr id={`${def.singular}-${item.id}`}>
              {columns.map(([, cell]) => (
                <td>{cell(item)}</td>
              ))}
              <Actions def={def} item={item} viewer={props.viewer} />
            </tr>
            <tr class="evaluation">
              <td colspan={String(columns.length + 1)} id={`eval-${def.path}-${item.id}`} />
            </tr>
          </>
        ))}
      </tbody>
    </table>
  );
}

/** Routes for one rule kind; `T` is the stored definition. */
// biome-ignore lint/suspicious/noExplicitAny: each kind's item type differs; the definition keeps it consistent.
export function definitionPages(deps: DashboardDeps, def: Definition<any>) {
  const path = `/${def.path}`;
  const layout = (request: Request, title: string, body: JSX.Element) => (
    <Layout title={title} banner={deps.banner()} viewer={viewerOf(deps, request)}>
      {body}
    </Layout>
  );
  const listPage = (request: Request, errors: Record<string, string> = {}, values: FormBody = {}) => {
    const viewer = viewerOf(deps, request);
    return layout(
      request,
      def.title,
      <>
        <section>
          <h2 safe>{def.title}</h2>
          <DefinitionTable def={def} items={def.list()} viewer={viewer} />
        </section>
        <section>
          <h2 safe>{`New ${def.noun}`}</h2>
          <DefinitionForm def={def} viewer={viewer} errors={errors} values={values} />
        </section>
      </>,
    );
  };
  const editPage = (request: Request, id: number, errors: Record<string, string> = {}, values?: FormBody) => {
    const item = def.get(id);
    return layout(
      request,
      `Edit ${def.noun} ${item.name}`,
      <section>
        <h2 safe>{`Edit ${def.noun} ${item.name}`}</h2>
        <DefinitionForm
          def={def}
          viewer={viewerOf(deps, request)}
          errors={errors}
          values={values ?? def.toForm(item)}
          id={id}
        />
      </section>,
    );
  };
  const form = (body: unknown) => (body ?? {}) as FormBody;
  return new Elysia()
    .get(path, ({ request }) => listPage(request))
    .post(path, ({ body, request, set }) => {
      const f = form(body);
      if (!authorizeForm(deps, request, f)) return forbidden();
      try {
        def.create(def.fromForm(f));
        return redirect(path);
      } catch (err) {
        set.status = formFailureStatus(err);
        return listPage(request, fieldErrors(err), f);
      }
    })
    .get(`${path}/:id/edit`, ({ params, request }) => editPage(request, Number(params.id)))
    .post(`${path}/:id`, ({ params, body, request, set }) => {
      const f = form(body);
      if (!authorizeForm(deps, request, f)) return forbidden();
      try {
        def.update(Number(params.id), def.fromForm(f));
        return redirect(path);
      } catch (err) {
        set.status = formFailureStatus(err);
        return editPage(request, Number(params.id), fieldErrors(err), f);
      }
    })
    .post(`${path}/:id/toggle`, ({ params, body, request }) => {
      if (!authorizeForm(deps, request, form(body))) return forbidden();
      const item = def.get(Number(params.id));
      def.update(item.id, { enabled: !item.enabled });
      return redirect(path);
    })
    .post(`${path}/:id/delete`, ({ params, body, request }) => {
      if (!authorizeForm(deps, request, form(body))) return forbidden();
      def.remove(Number(params.id));
      return redirect(path);
    })
    .get(`${path}/:id/evaluate`, async ({ params, request }) => {
      const item = def.get(Number(params.id));
      let result: JSX.Element;
      try {
        result = await def.evaluate(item, deps.core.clock.now());
      } catch (err) {
        result = (
          <p class="error" safe>
            {`evaluation failed: ${(err as Error).message}`}
          </p>
        );
      }
      // htmx asks for the fragment; a plain link (no JavaScript) gets a page.
      if (request.headers.get("hx-request")) return result;
      return layout(
        request,
        `${def.noun} ${item.name}`,
        <section>
          <h2 safe>{`Evaluation of ${def.noun} ${item.name}`}</h2>
          {result}
          <p>
            <a href={path} safe>{`Back to ${def.title.toLowerCase()}`}</a>
          </p>
        </section>,
      );
    });
}
