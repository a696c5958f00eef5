// One action of a workflow in the builder: its type and the settings of
// that type (values to set, the object to create, recipients, the script),
// each with the API's error for it shown next to it. The assignOwner form
// is in WorkflowAssign.tsx.
import { cloneElement, type VNode } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api";
import { fieldsOf, getObject, type FieldInfo, type ObjectDef, type ObjectSummary } from "../meta";
import { useAsync } from "../ui";
import { AssignOwner } from "./WorkflowAssign";

/** Action is one step of a workflow (objects/workflows.Action). */
export interface Action {
  type: string;
  values?: Record<string, any>;
  object?: string;
  users?: string[];
  title?: string;
  body?: string;
  script?: string;
  url?: string;
  rules?: Array<{ when: string; users: string[] }>;
  maxOpen?: number;
  openFilter?: string;
  businessHours?: boolean;
  [k: string]: any;
}

export const actionTypes: Record<string, string> = {
  updateFields: "Update fields of the record",
  createRecord: "Create a record",
  notify: "Notify people",
  script: "Run a script",
  assignOwner: "Assign an owner",
  webhook: "Call a webhook",
};

export function blankAction(type: string): Action {
  switch (type) {
    case "updateFields":
    case "createRecord":
      return { type, values: {} };
    case "notify":
      return { type, users: ["owner"], title: "" };
    case "script":
      return { type, script: "" };
    case "webhook":
      return { type, url: "" };
    default:
      return { type, users: [] };
  }
}

/** valueOf turns the text typed for a field into the JSON value to store. */
export function valueOf(f: FieldInfo | undefined, s: string): any {
  if (!f || s.includes("{{")) return s;
  if (["number", "currency", "percent"].includes(f.type) && s.trim() !== "" && !isNaN(Number(s))) return Number(s);
  if (f.type === "boolean" && (s === "true" || s === "false")) return s === "true";
  return s;
}

const textOf = (v: any) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

export function ActionEditor(props: {
  index: number;
  count: number;
  action: Action;
  o: ObjectDef | null;
  objects: ObjectSummary[];
  errors: Record<string, string>;
  onChange: (a: Action) => void;
  onRemove: () => void;
  onMove: (d: number) => void;
}) {
  const { action: a, index: i } = props;
  const n = i + 1;
  const p = `/actions/${i}`;
  const err = (x: string) => errorsUnder(props.errors, p + x);
  const set = (patch: Partial<Action>) => props.onChange({ ...a, ...patch });
  const id = (x: string) => `wfa-${i}-${x}`;
  return (
    <fieldset class="card section" data-action={i}>
      <legend>Action {n}</legend>
      <div class="row">
        <div class="grow">
          <Labelled id={id("type")} label="Action type" error={err("/type")}>
            <select id={id("type")} value={a.type} onChange={(e) => props.onChange(blankAction((e.target as HTMLSelectElement).value))}>
              {Object.entries(actionTypes).map(([v, l]) => (
                <option value={v}>{l}</option>
              ))}
            </select>
          </Labelled>
        </div>
        <button type="button" class="link" aria-label={`Move action ${n} up`} disabled={i === 0} onClick={() => props.onMove(-1)}>
          ↑
        </button>
        <button type="button" class="link" aria-label={`Move action ${n} down`} disabled={i === props.count - 1} onClick={() => props.onMove(1)}>
          ↓
        </button>
        <button type="button" class="link" aria-label={`Remove action ${n}`} onClick={props.onRemove}>
          ✕
        </button>
      </div>
      {a.type === "updateFields" && <Values id={id("v")} o={props.o} values={a.values ?? {}} error={err("/values")} onChange={(values) => set({ values })} />}
      {a.type === "createRecord" && <CreateRecord id={id} a={a} objects={props.objects} err={err} set={set} />}
      {a.type === "notify" && <Notify id={id} a={a} err={err} set={set} />}
      {a.type === "script" && <ScriptPick id={id("script")} a={a} error={err("/script")} set={set} />}
      {a.type === "webhook" && (
        <Labelled id={id("url")} label="Webhook URL" error={err("/url")} help="The record is POSTed there as signed JSON; the host must be on the tenant's allow-list.">
          <input id={id("url")} type="url" value={a.url ?? ""} onInput={(e) => set({ url: (e.target as HTMLInputElement).value })} />
        </Labelled>
      )}
      {a.type === "assignOwner" && <AssignOwner id={id} a={a} err={err} onChange={props.onChange} />}
    </fieldset>
  );
}

/** Values edits the field values an action sets: one labelled input per field. */
function Values(props: { id: string; o: ObjectDef | null; values: Record<string, any>; error?: string; onChange: (v: Record<string, any>) => void }) {
  const [adding, setAdding] = useState("");
  if (!props.o) return <p class="muted">Choose the object first.</p>;
  const fields = fieldsOf(props.o).filter((f) => !f.readOnly || f.name === "owner");
  const byName = new Map(fields.map((f) => [f.name, f]));
  const entries = Object.entries(props.values);
  return (
    <div>
      {entries.length === 0 && <p class="muted">No value yet: add the fields to set.</p>}
      {entries.map(([k, v]) => (
        <div class="row">
          <div class="grow">
            <Labelled id={`${props.id}-${k}`} label={byName.get(k)?.label ?? k}>
              <input id={`${props.id}-${k}`} value={textOf(v)} onInput={(e) => props.onChange({ ...props.values, [k]: valueOf(byName.get(k), (e.target as HTMLInputElement).value) })} />
            </Labelled>
          </div>
          <button
            type="button"
            class="link"
            aria-label={`Do not set ${byName.get(k)?.label ?? k}`}
            onClick={() => {
              const next = { ...props.values };
              delete next[k];
              props.onChange(next);
            }}
          >
            ✕
          </button>
        </div>
      ))}
      <div class="row">
        <div class="grow">
          <Labelled id={`${props.id}-add`} label="Field to set" help="A value may use {{record.field}} for the triggering record's field and {{now}}.">
            <select id={`${props.id}-add`} value={adding} onChange={(e) => setAdding((e.target as HTMLSelectElement).value)}>
              <option value="">Choose a field…</option>
              {fields
                .filter((f) => !(f.name in props.values))
                .map((f) => (
                  <option value={f.name}>{f.label}</option>
                ))}
            </select>
          </Labelled>
        </div>
        <button type="button" disabled={!adding} onClick={() => (props.onChange({ ...props.values, [adding]: "" }), setAdding(""))}>
          Add value
        </button>
      </div>
      {props.error && (
        <small class="error" role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

function CreateRecord(props: { id: (x: string) => string; a: Action; objects: ObjectSummary[]; err: (x: string) => string | undefined; set: (p: Partial<Action>) => void }) {
  const { a } = props;
  const target = useAsync(() => (a.object ? getObject(a.object) : Promise.resolve(null)), [a.object]);
  return (
    <>
      <Labelled id={props.id("object")} label="Object to create" error={props.err("/object")}>
        <select id={props.id("object")} value={a.object ?? ""} onChange={(e) => props.set({ object: (e.target as HTMLSelectElement).value, values: {} })}>
          <option value="">Choose an object…</option>
          {props.objects.map((x) => (
            <option value={x.apiName}>{x.label}</option>
          ))}
        </select>
      </Labelled>
      {a.object && <Values id={props.id("cv")} o={target.data ?? null} values={a.values ?? {}} error={props.err("/values")} onChange={(values) => props.set({ values })} />}
    </>
  );
}

function Notify(props: { id: (x: string) => string; a: Action; err: (x: string) => string | undefined; set: (p: Partial<Action>) => void }) {
  const { a } = props;
  const users = useAsync(() => api.get<{ items: Array<{ id: string; name?: string; email: string }> }>("/users").then((r) => r.items ?? []), []);
  const cur = a.users ?? [];
  const toggle = (u: string, on: boolean) => props.set({ users: on ? [...cur, u] : cur.filter((x) => x !== u) });
  return (
    <>
      <fieldset class="field">
        <legend>Recipients</legend>
        <div class="row">
          <label class="row">
            <input type="checkbox" checked={cur.includes("owner")} onChange={(e) => toggle("owner", (e.target as HTMLInputElement).checked)} /> The record's owner
          </label>
          {users.data?.map((u) => (
            <label class="row">
              <input type="checkbox" checked={cur.includes(u.id)} onChange={(e) => toggle(u.id, (e.target as HTMLInputElement).checked)} /> {u.name || u.email}
            </label>
          ))}
        </div>
        {props.err("/users") && (
          <small class="error" role="alert">
            {props.err("/users")}
          </small>
        )}
      </fieldset>
      <Labelled id={props.id("title")} label="Notification title" error={props.err("/title")} help="May use {{record.field}}.">
        <input id={props.id("title")} value={a.title ?? ""} onInput={(e) => props.set({ title: (e.target as HTMLInputElement).value })} />
      </Labelled>
      <Labelled id={props.id("body")} label="Notification text" error={props.err("/body")}>
        <textarea id={props.id("body")} rows={2} value={a.body ?? ""} onInput={(e) => props.set({ body: (e.target as HTMLTextAreaElement).value })} />
      </Labelled>
    </>
  );
}

function ScriptPick(props: { id: string; a: Action; error?: string; set: (p: Partial<Action>) => void }) {
  const scripts = useAsync(() => api.get<{ items: Array<{ name: string; object: string }> }>("/scripts").then((r) => r.items ?? []), []);
  return (
    <Labelled id={props.id} label="Script" error={props.error} help="The script must handle the onWorkflow event: function onWorkflow(ctx) receives the triggering record.">
      <select id={props.id} value={props.a.script ?? ""} onChange={(e) => props.set({ script: (e.target as HTMLSelectElement).value })}>
        <option value="">Choose a script…</option>
        {props.a.script && !scripts.data?.some((s) => s.name === props.a.script) && <option value={props.a.script}>{props.a.script}</option>}
        {scripts.data?.map((s) => (
          <option value={s.name}>
            {s.name} ({s.object})
          </option>
        ))}
      </select>
    </Labelled>
  );
}

/** errorsUnder collects the messages of the error pointers under prefix. */
export function errorsUnder(errors: Record<string, string>, prefix: string): string | undefined {
  const out = Object.entries(errors)
    .filter(([k]) => k === prefix || k.startsWith(prefix + "/"))
    .map(([, v]) => v);
  return out.length ? out.join("; ") : undefined;
}

/** Labelled is a label, one control given as a child, help and an error. */
export function Labelled(props: { id: string; label: string; error?: string; help?: string; children: VNode<any> }) {
  const note = props.error ? `${props.id}-err` : props.help ? `${props.id}-help` : undefined;
  // The control learns of its help or error text, so screen readers read it.
  const control = cloneElement(props.children, { "aria-describedby": note, "aria-invalid": props.error ? "true" : undefined });
  return (
    <div class={"field" + (props.error ? " invalid" : "")}>
      <label for={props.id}>{props.label}</label>
      {control}
      {props.help && !props.error && (
        <small class="help" id={note}>
          {props.help}
        </small>
      )}
      {props.error && (
        <small class="error" role="alert" id={note}>
          {props.error}
        </small>
      )}
    </div>
  );
}
