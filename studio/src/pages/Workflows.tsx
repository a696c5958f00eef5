// The workflow builder: the list of workflows, an editor of one workflow
// (trigger, condition, actions) whose 422 errors are shown next to the input
// they point at, and the run history of a workflow (outcome, duration,
// errors). Definitions are those of objects/workflows (PUT /workflows/{name}).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, withPosition } from "../api";
import { fieldsOf, getObject, listObjects, type FieldInfo, type ObjectDef } from "../meta";
import { base, navigate } from "../router";
import { Empty, ErrorBox, isMissingEndpoint, Spinner, toast, Unavailable, useAsync } from "../ui";
import { ActionEditor, blankAction, errorsUnder, Labelled, type Action } from "./WorkflowActions";
import { WorkflowRuns } from "./WorkflowRuns";

/** Definition is a workflow as the API stores it. */
export interface Definition {
  label: string;
  active: boolean;
  object?: string;
  trigger: { type: string; fields?: string[]; field?: string; offset?: string; cron?: string };
  condition?: string;
  runAs?: string;
  actions: Action[];
}

interface Workflow {
  name: string;
  version: number;
  updatedAt: string;
  definition: Definition;
}

const triggerNames: Record<string, string> = {
  created: "When a record is created",
  updated: "When a record is updated",
  deleted: "When a record is deleted",
  time: "At a time relative to a date field",
  schedule: "On a schedule",
};

function describeTrigger(d: Definition): string {
  const t = d.trigger ?? { type: "" };
  if (t.type === "time") return `${t.offset || "0h"} after ${t.field}`;
  if (t.type === "schedule") return `cron ${t.cron}`;
  if (t.type === "updated" && t.fields?.length) return `updated (${t.fields.join(", ")})`;
  return t.type;
}

export function Workflows() {
  const { data, error, loading } = useAsync(() => api.get<{ items: Workflow[] }>("/workflows").then((r) => r.items ?? []), []);
  if (isMissingEndpoint(error)) return <Unavailable what="Workflows" />;
  return (
    <section>
      <div class="page-head">
        <h1>Workflows</h1>
        <a class="button primary" href={`${base}/automation/workflows/new`}>
          New workflow
        </a>
      </div>
      {loading && <Spinner label="Loading workflows…" />}
      <ErrorBox error={error} />
      {data && data.length === 0 && (
        <Empty title="No workflows yet">
          <p>A workflow reacts to a record change or a time with actions such as updating fields, creating a record or notifying people. Start with “New workflow”.</p>
        </Empty>
      )}
      {data && data.length > 0 && (
        <table class="grid responsive">
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Object</th>
              <th scope="col">Trigger</th>
              <th scope="col">Actions</th>
              <th scope="col">Active</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {data.map((w) => (
              <tr>
                <td data-label="Workflow">
                  <a href={`${base}/automation/workflows/${encodeURIComponent(w.name)}`}>{w.definition?.label || w.name}</a>
                </td>
                <td data-label="Object">{w.definition?.object}</td>
                <td data-label="Trigger">{describeTrigger(w.definition)}</td>
                <td data-label="Actions">{w.definition?.actions?.map((a) => a.type).join(", ")}</td>
                <td data-label="Active">{w.definition?.active ? "Yes" : "No"}</td>
                <td data-label="Version">{w.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const slug = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .replace(/_+$/, "")
    .slice(0, 40);

export function WorkflowEdit(props: { name: string }) {
  const isNew = props.name === "new";
  const wf = useAsync(() => (isNew ? Promise.resolve(null) : api.get<Workflow>(`/workflows/${encodeURIComponent(props.name)}`)), [props.name]);
  const [tab, setTab] = useState<"definition" | "runs">(() => (new URLSearchParams(location.search).get("tab") === "runs" ? "runs" : "definition"));
  if (wf.loading) return <Spinner label="Loading the workflow…" />;
  if (isMissingEndpoint(wf.error)) return <Unavailable what="Workflows" />;
  if (wf.error) return <ErrorBox error={wf.error} />;
  const w = wf.data;
  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/automation/workflows`}>Workflows</a> / {w ? w.definition.label || w.name : "New workflow"}
      </p>
      {w && (
        <div class="tabs" role="tablist">
          <button role="tab" aria-selected={tab === "definition"} onClick={() => setTab("definition")}>
            Definition
          </button>
          <button role="tab" aria-selected={tab === "runs"} onClick={() => setTab("runs")}>
            Run history
          </button>
        </div>
      )}
      {tab === "runs" && w ? <WorkflowRuns name={w.name} label={w.definition.label || w.name} /> : <Builder initial={w ?? null} />}
    </section>
  );
}

function Builder(props: { initial: Workflow | null }) {
  const init = props.initial?.definition;
  const isNew = !props.initial;
  const objects = useAsync(listObjects, []);
  const [label, setLabel] = useState(init?.label ?? "");
  const [typedName, setName] = useState(props.initial?.name ?? "");
  const [nameTouched, setNameTouched] = useState(!isNew);
  const name = nameTouched ? typedName : slug(label);
  const [active, setActive] = useState(init?.active ?? true);
  const [object, setObject] = useState(init?.object ?? "");
  const [o, setO] = useState<ObjectDef | null>(null);
  const [trigger, setTrigger] = useState<Definition["trigger"]>(init?.trigger ?? { type: "created" });
  const [condition, setCondition] = useState(init?.condition ?? "");
  const [condCheck, setCondCheck] = useState<{ ok: boolean; message: string } | null>(null);
  const [actions, setActions] = useState<Action[]>(init?.actions?.length ? init.actions : [blankAction("updateFields")]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!object && objects.data?.length && isNew) setObject(objects.data[0].apiName);
  }, [objects.data]);
  useEffect(() => setErrors(({ "/condition": _c, ...rest }) => rest), [condition]);
  useEffect(() => {
    setO(null);
    if (object) getObject(object).then(setO, () => setO(null));
  }, [object]);

  // Live syntax check of the condition: the formula language is the one of
  // formula fields, so a dry run of the object with the condition as a
  // boolean formula field checks it with the server's own compiler.
  useEffect(() => {
    if (!condition.trim() || !o) {
      setCondCheck(null);
      return;
    }
    const t = setTimeout(async () => {
      const probe = "zz_condition_check";
      const { apiName: _a, version: _v, updatedAt: _u, ...body } = o;
      const def = { ...body, properties: { ...o.properties, [probe]: { "x-crm-type": "formula", "x-crm-formula": condition, "x-crm-result": "boolean" } } };
      try {
        await api.put(`/objects/${o.apiName}?dryRun=true`, def);
        setCondCheck({ ok: true, message: "The condition is valid." });
      } catch (e) {
        if (!(e instanceof ApiError)) return setCondCheck(null);
        const fe = e.errors.find((x) => x.field?.includes(probe));
        setCondCheck(fe ? { ok: false, message: withPosition(fe) } : null);
      }
    }, 400);
    return () => clearTimeout(t);
  }, [condition, o]);

  const fields: FieldInfo[] = o ? fieldsOf(o) : [];
  const dateFields = fields.filter((f) => f.type === "date" || f.type === "datetime");

  function definition(): Definition {
    const t: Definition["trigger"] = { type: trigger.type };
    if (trigger.type === "updated" && trigger.fields?.length) t.fields = trigger.fields;
    if (trigger.type === "time") (t.field = trigger.field ?? ""), trigger.offset && (t.offset = trigger.offset);
    if (trigger.type === "schedule") t.cron = trigger.cron ?? "";
    const d: Definition = { label: label.trim(), active, trigger: t, actions };
    if (object) d.object = object;
    if (condition.trim()) d.condition = condition.trim();
    if (init?.runAs) d.runAs = init.runAs;
    return d;
  }

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setGeneral(null);
    try {
      await api.put(`/workflows/${encodeURIComponent(name)}`, definition());
      toast(`Workflow ${label || name} saved`);
      if (isNew) navigate(`/automation/workflows/${encodeURIComponent(name)}`, true);
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        const out: Record<string, string> = {};
        for (const x of err.errors) {
          const k = x.field === "name" ? "/name" : x.field ?? "";
          const msg = withPosition(x);
          out[k] = out[k] ? `${out[k]}; ${msg}` : msg;
        }
        setErrors(out);
        // Bring the first input in error into view: actions may be far below.
        setTimeout(() => document.querySelector(".field.invalid")?.scrollIntoView({ block: "center" }), 0);
        const placed = Object.keys(out).some((k) => /^\/(name|object|trigger|condition|actions)/.test(k));
        if (!placed) setGeneral(err);
      } else setGeneral(err);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!confirm(`Delete the workflow ${label || name}? Its run history stays.`)) return;
    try {
      await api.del(`/workflows/${encodeURIComponent(name)}`);
      toast(`Workflow ${label || name} deleted`);
      navigate("/automation/workflows");
    } catch (e) {
      setGeneral(e);
    }
  }

  const err = (p: string) => errorsUnder(errors, p);
  const condError = err("/condition") ?? (condCheck && !condCheck.ok ? condCheck.message : undefined);
  return (
    <form onSubmit={save} noValidate>
      <div class="page-head">
        <h1>{isNew ? "New workflow" : `Workflow ${init?.label || name}`}</h1>
        {!isNew && (
          <button type="button" class="danger" onClick={remove}>
            Delete workflow
          </button>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Saving…" : "Save workflow"}
        </button>
      </div>
      <ErrorBox error={general} />
      <div class="card cols2">
        <Labelled id="wf-label" label="Workflow label">
          <input id="wf-label" value={label} required autoFocus placeholder="Welcome new deals" onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
        </Labelled>
        <Labelled id="wf-name" label="Workflow API name" error={err("/name")} help={isNew ? "Letters, digits and _; cannot change later." : undefined}>
          <input id="wf-name" value={name} disabled={!isNew} onInput={(e) => (setName((e.target as HTMLInputElement).value), setNameTouched(true))} />
        </Labelled>
        <Labelled id="wf-object" label="Object" error={err("/object")}>
          <select id="wf-object" value={object} onChange={(e) => setObject((e.target as HTMLSelectElement).value)}>
            {trigger.type === "schedule" && <option value="">None</option>}
            {!object && trigger.type !== "schedule" && <option value="">Choose an object…</option>}
            {objects.data?.map((x) => (
              <option value={x.apiName}>{x.label}</option>
            ))}
          </select>
        </Labelled>
        <label class="row">
          <input type="checkbox" checked={active} onChange={(e) => setActive((e.target as HTMLInputElement).checked)} /> Active
        </label>
      </div>

      <fieldset class="card section">
        <legend>Trigger</legend>
        <Labelled id="wf-trigger" label="Run" error={err("/trigger/type")}>
          <select id="wf-trigger" value={trigger.type} onChange={(e) => setTrigger({ type: (e.target as HTMLSelectElement).value })}>
            {Object.entries(triggerNames).map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </Labelled>
        {trigger.type === "updated" && (
          <fieldset class="field">
            <legend>Only when one of these fields changes (none: any change)</legend>
            <div class="row">
              {fields
                .filter((f) => !f.system || f.name === "owner")
                .map((f) => (
                  <label class="row">
                    <input
                      type="checkbox"
                      checked={trigger.fields?.includes(f.name) ?? false}
                      onChange={(e) => {
                        const on = (e.target as HTMLInputElement).checked;
                        const cur = trigger.fields ?? [];
                        setTrigger({ ...trigger, fields: on ? [...cur, f.name] : cur.filter((x) => x !== f.name) });
                      }}
                    />{" "}
                    {f.label}
                  </label>
                ))}
            </div>
            {err("/trigger/fields") && <small class="error">{err("/trigger/fields")}</small>}
          </fieldset>
        )}
        {trigger.type === "time" && (
          <div class="cols2">
            <Labelled id="wf-tfield" label="Date field" error={err("/trigger/field")}>
              <select id="wf-tfield" value={trigger.field ?? ""} onChange={(e) => setTrigger({ ...trigger, field: (e.target as HTMLSelectElement).value })}>
                <option value="">Choose a date field…</option>
                {dateFields.map((f) => (
                  <option value={f.name}>{f.label}</option>
                ))}
              </select>
            </Labelled>
            <Labelled id="wf-offset" label="Offset" error={err("/trigger/offset")} help="How long after the date: 24h, 30m, 2h30m; negative runs before it (-24h).">
              <input id="wf-offset" value={trigger.offset ?? ""} placeholder="24h" onInput={(e) => setTrigger({ ...trigger, offset: (e.target as HTMLInputElement).value })} />
            </Labelled>
          </div>
        )}
        {trigger.type === "schedule" && (
          <Labelled id="wf-cron" label="Schedule (cron)" error={err("/trigger/cron")} help="Five fields: minute hour day-of-month month day-of-week, in the tenant's time zone. 0 8 * * 1-5 is 8:00 on weekdays.">
            <input id="wf-cron" value={trigger.cron ?? ""} placeholder="0 8 * * 1-5" onInput={(e) => setTrigger({ ...trigger, cron: (e.target as HTMLInputElement).value })} />
          </Labelled>
        )}
        <Labelled
          id="wf-condition"
          label="Condition"
          error={condError}
          help={condCheck?.ok ? condCheck.message : "A formula that must be true for the workflow to run, e.g. amount > 1000 && stage = 'won'. Empty: always."}
        >
          <textarea id="wf-condition" rows={2} value={condition} disabled={trigger.type === "schedule"} onInput={(e) => setCondition((e.target as HTMLTextAreaElement).value)} />
        </Labelled>
      </fieldset>

      <h2 class="section">Actions</h2>
      {err("/actions") && !Object.keys(errors).some((k) => k.startsWith("/actions/")) && (
        <p class="error" role="alert">
          {err("/actions")}
        </p>
      )}
      {actions.length === 0 && <p class="muted">No action yet: add one below.</p>}
      {actions.map((a, i) => (
        <ActionEditor
          index={i}
          count={actions.length}
          action={a}
          o={o}
          objects={objects.data ?? []}
          errors={errors}
          onChange={(next) => setActions(actions.map((x, j) => (j === i ? next : x)))}
          onRemove={() => setActions(actions.filter((_, j) => j !== i))}
          onMove={(d) => {
            const j = i + d;
            if (j < 0 || j >= actions.length) return;
            const next = [...actions];
            [next[i], next[j]] = [next[j], next[i]];
            setActions(next);
          }}
        />
      ))}
      <div class="row">
        <button type="button" onClick={() => setActions([...actions, blankAction("updateFields")])}>
          Add action
        </button>
      </div>
    </form>
  );
}
