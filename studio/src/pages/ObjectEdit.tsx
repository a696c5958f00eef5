// The object manager's detail page: the object's settings and its fields,
// which can be added, edited and reordered. Every change is a PUT of the
// whole definition; the API's errors are shown next to the input they name.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, request } from "../api";
import { followMigration, onMigrationFinished } from "../migrations";
import { type Migration } from "../progress";
import { fieldsOf, fieldTypes, forgetObject, getObject, listObjects, resultTypes, typeLabel, type ObjectDef, type ObjectSummary } from "../meta";
import { base } from "../router";
import { ErrorBox, Field, Modal, Spinner, TextInput, toast, useAsync } from "../ui";
import { defOf, emptyField, settingOf, stateOf, type FieldState } from "./fieldform";
import { LayoutEditor } from "./LayoutEditor";

/** bodyOf strips what the server adds to a definition before a PUT. */
export function bodyOf(o: ObjectDef): Record<string, any> {
  const { apiName: _a, version: _v, updatedAt: _u, ...rest } = o;
  return rest;
}

export function ObjectEdit(props: { name: string }) {
  const { data, error, loading, reload } = useAsync(() => getObject(props.name, true), [props.name]);
  const objects = useAsync(listObjects, []);
  const [editing, setEditing] = useState<{ name: string | null } | null>(null);
  const [tab, setTab] = useState<"fields" | "layout">("fields");
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  // A migration of this object that ends while the page is open shows here.
  useEffect(() => onMigrationFinished((m) => m.object === props.name && reload()), [props.name]);

  if (loading && !data) return <Spinner label="Loading the object…" />;
  if (error) return <ErrorBox error={error} />;
  if (!data) return null;
  const o = data;
  const fields = fieldsOf(o);
  const custom = fields.filter((f) => !f.system);

  async function save(next: ObjectDef): Promise<void> {
    setSaving(true);
    setSaveError(null);
    try {
      const r = await request<Migration>("PUT", `/objects/${o.apiName}`, bodyOf(next));
      if (r.status === 202) followMigration(r.data);
      forgetObject(o.apiName);
      reload();
    } catch (e) {
      setSaveError(e);
      throw e;
    } finally {
      setSaving(false);
    }
  }

  async function move(from: number, to: number) {
    if (to < 0 || to >= custom.length || from === to) return;
    const order = custom.map((f) => f.name);
    const [x] = order.splice(from, 1);
    order.splice(to, 0, x);
    const props: Record<string, any> = {};
    for (const [k, v] of Object.entries(o.properties)) if (v["x-crm-system"]) props[k] = v;
    for (const k of order) props[k] = o.properties[k];
    for (const [k, v] of Object.entries(o.properties)) if (!(k in props)) props[k] = v;
    try {
      await save({ ...o, properties: props });
      toast(`Moved ${x}`);
    } catch {
      /* shown by ErrorBox */
    }
  }

  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/objects`}>Objects</a> / {o.title ?? o.apiName}
      </p>
      <div class="page-head">
        <h1>{o.title ?? o.apiName}</h1>
        <code>{o.apiName}</code>
        <span class="badge">version {o.version}</span>
        <a class="button" href={`${base}/o/${o.apiName}`}>
          Open records
        </a>
      </div>
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected={tab === "fields"} onClick={() => setTab("fields")}>
          Fields
        </button>
        <button role="tab" aria-selected={tab === "layout"} onClick={() => setTab("layout")}>
          Page layout
        </button>
      </div>
      {tab === "layout" && <LayoutEditor object={o} />}
      {tab === "fields" && (
        <>
          <ObjectSettings o={o} onSave={save} />
          <div class="page-head">
            <h2>Fields</h2>
            <button type="button" class="primary" onClick={() => setEditing({ name: null })}>
              New field
            </button>
          </div>
          {saving && <Spinner label="Saving…" />}
          <ErrorBox error={saveError} />
          {custom.length === 0 && <p class="empty">No fields of your own yet. Add one with “New field”.</p>}
          <FieldList o={o} onMove={move} onEdit={(name) => setEditing({ name })} />
        </>
      )}
      {editing && (
        <FieldEditor
          o={o}
          name={editing.name}
          objects={objects.data ?? []}
          onClose={() => setEditing(null)}
          onMigration={(m) => {
            setEditing(null);
            followMigration(m);
          }}
          onSaved={() => {
            setEditing(null);
            forgetObject(o.apiName);
            reload();
          }}
        />
      )}
    </section>
  );
}

function ObjectSettings(props: { o: ObjectDef; onSave: (o: ObjectDef) => Promise<void> }) {
  const { o } = props;
  const [label, setLabel] = useState(o.title ?? "");
  const [plural, setPlural] = useState(o["x-crm-plural"] ?? "");
  const [sharing, setSharing] = useState(o["x-crm-sharing"] ?? "readwrite");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const dirty = label !== (o.title ?? "") || plural !== (o["x-crm-plural"] ?? "") || sharing !== (o["x-crm-sharing"] ?? "readwrite");
  async function submit(e: Event) {
    e.preventDefault();
    setErrors({});
    try {
      await props.onSave({ ...o, title: label, "x-crm-plural": plural, "x-crm-sharing": sharing });
      toast("Object saved");
    } catch (err) {
      if (err instanceof ApiError) {
        const fe: Record<string, string> = {};
        for (const x of err.errors) fe[x.field?.includes("plural") ? "plural" : x.field?.includes("sharing") ? "sharing" : "label"] = x.message;
        setErrors(fe);
      }
    }
  }
  return (
    <form class="card cols2" onSubmit={submit} aria-label="Object settings">
      <TextInput label="Object label" value={label} onInput={setLabel} error={errors.label} />
      <TextInput label="Plural label" value={plural} onInput={setPlural} error={errors.plural} />
      <Field label="Record visibility" error={errors.sharing}>
        {(id) => (
          <select id={id} value={sharing} onChange={(e) => setSharing((e.target as HTMLSelectElement).value)}>
            <option value="readwrite">Everyone can see and edit</option>
            <option value="read">Everyone can see, owners edit</option>
            <option value="private">Private to owners and their managers</option>
          </select>
        )}
      </Field>
      <div class="row end">
        <button type="submit" class="primary" disabled={!dirty}>
          Save object
        </button>
      </div>
    </form>
  );
}

function FieldList(props: { o: ObjectDef; onMove: (from: number, to: number) => void; onEdit: (name: string) => void }) {
  const fields = fieldsOf(props.o);
  const custom = fields.filter((f) => !f.system);
  const [drag, setDrag] = useState<number | null>(null);
  return (
    <ul class="fields-list" aria-label="Fields">
      {custom.map((f, i) => (
        <li
          key={f.name}
          draggable
          class={drag === i ? "dragging" : ""}
          data-field={f.name}
          onDragStart={(e) => {
            setDrag(i);
            e.dataTransfer?.setData("text/plain", String(i));
          }}
          onDragEnd={() => setDrag(null)}
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            const from = Number(e.dataTransfer?.getData("text/plain"));
            setDrag(null);
            props.onMove(from, i);
          }}
        >
          <span class="grip" aria-hidden="true">
            ⋮⋮
          </span>
          <strong class="grow">{f.label}</strong>
          <code>{f.name}</code>
          <span class="badge">{typeLabel(f.type)}</span>
          {f.required && <span class="badge">required</span>}
          <button type="button" class="link" aria-label={`Move ${f.label} up`} disabled={i === 0} onClick={() => props.onMove(i, i - 1)}>
            ↑
          </button>
          <button type="button" class="link" aria-label={`Move ${f.label} down`} disabled={i === custom.length - 1} onClick={() => props.onMove(i, i + 1)}>
            ↓
          </button>
          <button type="button" onClick={() => props.onEdit(f.name)} aria-label={`Edit ${f.label}`}>
            Edit
          </button>
        </li>
      ))}
      {fields
        .filter((f) => f.system)
        .map((f) => (
          <li class="system" key={f.name}>
            <span class="grow">{f.label}</span>
            <code>{f.name}</code>
            <span class="badge">{typeLabel(f.type)}</span>
            <span>system</span>
          </li>
        ))}
    </ul>
  );
}

function FieldEditor(props: { o: ObjectDef; name: string | null; objects: ObjectSummary[]; onClose: () => void; onSaved: () => void; onMigration: (m: Migration) => void }) {
  const { o } = props;
  const isNew = props.name === null;
  const prevDef = props.name ? o.properties[props.name] : {};
  const [s, setS] = useState<FieldState>(() => (props.name ? stateOf(props.name, prevDef, (o.required ?? []).includes(props.name)) : emptyField()));
  const [errors, setErrors] = useState<Partial<Record<keyof FieldState, string>>>({});
  const [general, setGeneral] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [formulaCheck, setFormulaCheck] = useState<{ ok: boolean; message: string } | null>(null);
  const set = <K extends keyof FieldState>(k: K, v: FieldState[K]) => setS((x) => ({ ...x, [k]: v }));
  const name = isNew ? s.name || autoName(s.label) : props.name!;
  const settings = fieldTypes.find((t) => t.type === s.type)?.settings ?? [];

  function definition(): Record<string, any> {
    const body = bodyOf(o);
    const properties = { ...o.properties, [name]: defOf(s, prevDef) };
    let required = (o.required ?? []).filter((r: string) => r !== name);
    if (s.required) required = [...required, name];
    return { ...body, properties, required };
  }

  // Live syntax check of a formula: a dry run of the whole definition.
  const timer = useRef<number>();
  useEffect(() => {
    if (s.type !== "formula" || !s.formula.trim() || !name) {
      setFormulaCheck(null);
      return;
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      try {
        await api.put(`/objects/${o.apiName}?dryRun=true`, definition());
        setFormulaCheck({ ok: true, message: "The formula is valid." });
      } catch (e) {
        if (e instanceof ApiError) {
          const fe = e.errors.find((x) => x.field?.endsWith("/x-crm-formula") || x.field?.endsWith("/x-crm-result"));
          setFormulaCheck(fe ? { ok: false, message: fe.message } : { ok: true, message: "The formula is valid." });
        }
      }
    }, 400) as unknown as number;
    return () => clearTimeout(timer.current);
  }, [s.formula, s.result, s.type]);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setGeneral(null);
    try {
      const r = await request<Migration>("PUT", `/objects/${o.apiName}`, definition());
      if (r.status === 202) {
        props.onMigration(r.data);
        return;
      }
      toast(isNew ? `Field ${name} added` : `Field ${name} saved`);
      props.onSaved();
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        const fe: Partial<Record<keyof FieldState, string>> = {};
        let unplaced = false;
        for (const x of err.errors) {
          const p = x.field ?? "";
          let key: keyof FieldState | "" = "";
          if (p.startsWith(`/properties/${name}`)) key = settingOf(p);
          else if (p.startsWith("/required")) key = "required";
          if (key) fe[key] = fe[key] ? `${fe[key]}; ${x.message}` : x.message;
          else unplaced = true;
        }
        setErrors(fe);
        if (unplaced || Object.keys(fe).length === 0) setGeneral(err);
      } else setGeneral(err);
    } finally {
      setBusy(false);
    }
  }

  const targets = [{ apiName: "user", label: "User" }, ...props.objects];
  return (
    <Modal title={isNew ? "New field" : `Edit field ${props.name}`} onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        <div class="cols2">
          <TextInput label="Field label" value={s.label} onInput={(v) => set("label", v)} error={errors.label} autoFocus required />
          {isNew ? (
            <TextInput label="Field API name" value={name} onInput={(v) => set("name", v)} error={errors.name} help="Cannot change later." />
          ) : (
            <Field label="Field API name">{(id) => <input id={id} value={name} disabled />}</Field>
          )}
        </div>
        <Field label="Field type" error={errors.type}>
          {(id) => (
            <select id={id} value={s.type} disabled={!isNew && false} onChange={(e) => set("type", (e.target as HTMLSelectElement).value)}>
              {fieldTypes.map((t) => (
                <option value={t.type}>{t.label}</option>
              ))}
            </select>
          )}
        </Field>
        {settings.includes("maxLength") && <TextInput label="Maximum length" type="number" value={s.maxLength} onInput={(v) => set("maxLength", v)} error={errors.maxLength} />}
        {(settings.includes("values") || settings.includes("multiValues")) && (
          <Field label="Values" error={errors.values} help="One value per line; add a label after a bar: won | Closed won">
            {(id, d) => <textarea id={id} aria-describedby={d} value={s.values} onInput={(e) => set("values", (e.target as HTMLTextAreaElement).value)} />}
          </Field>
        )}
        {settings.includes("target") && (
          <Field label="Related object" error={errors.target}>
            {(id, d) => (
              <select id={id} aria-describedby={d} value={s.target} onChange={(e) => set("target", (e.target as HTMLSelectElement).value)}>
                <option value="">Choose an object…</option>
                {targets.map((t) => (
                  <option value={t.apiName}>{t.label}</option>
                ))}
              </select>
            )}
          </Field>
        )}
        {settings.includes("formula") && (
          <Field label="Formula" error={errors.formula ?? (formulaCheck && !formulaCheck.ok ? formulaCheck.message : undefined)} help={formulaCheck?.ok ? formulaCheck.message : "For example: amount * probability / 100"}>
            {(id, d) => <textarea id={id} aria-describedby={d} class="mono" value={s.formula} onInput={(e) => set("formula", (e.target as HTMLTextAreaElement).value)} />}
          </Field>
        )}
        {settings.includes("rollup") && (
          <div class="cols2">
            <Field label="Child object" error={errors.rollupObject}>
              {(id) => (
                <select id={id} value={s.rollupObject} onChange={(e) => set("rollupObject", (e.target as HTMLSelectElement).value)}>
                  <option value="">Choose…</option>
                  {props.objects.map((t) => (
                    <option value={t.apiName}>{t.label}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Operation" error={errors.rollupOp}>
              {(id) => (
                <select id={id} value={s.rollupOp} onChange={(e) => set("rollupOp", (e.target as HTMLSelectElement).value)}>
                  {["count", "sum", "avg", "min", "max"].map((x) => (
                    <option>{x}</option>
                  ))}
                </select>
              )}
            </Field>
            <TextInput label="Summarised field" value={s.rollupField} onInput={(v) => set("rollupField", v)} error={errors.rollupField} />
            <TextInput label="Only children where" value={s.rollupFilter} onInput={(v) => set("rollupFilter", v)} error={errors.rollupFilter} placeholder="stage = 'won'" />
          </div>
        )}
        {settings.includes("result") && (
          <Field label="Result type" error={errors.result}>
            {(id) => (
              <select id={id} value={s.result} onChange={(e) => set("result", (e.target as HTMLSelectElement).value)}>
                {resultTypes.map((x) => (
                  <option value={x}>{typeLabel(x)}</option>
                ))}
              </select>
            )}
          </Field>
        )}
        {(settings.includes("scale") || settings.includes("min")) && (
          <div class="cols2">
            {settings.includes("scale") && <TextInput label="Decimal places" type="number" value={s.scale} onInput={(v) => set("scale", v)} error={errors.scale} />}
            <TextInput label="Minimum" type="number" value={s.min} onInput={(v) => set("min", v)} error={errors.min} />
            <TextInput label="Maximum" type="number" value={s.max} onInput={(v) => set("max", v)} error={errors.max} />
            {settings.includes("integer") && <Check label="Whole numbers only" value={s.integer} onChange={(v) => set("integer", v)} />}
          </div>
        )}
        {settings.includes("format") && <TextInput label="Number format" value={s.format} onInput={(v) => set("format", v)} error={errors.format} help="A prefix, {000…} for the digits, a suffix: INV-{0000}" />}
        <TextInput label="Help text" value={s.help} onInput={(v) => set("help", v)} error={errors.help} />
        <fieldset class="row">
          <legend class="sr">Options</legend>
          <Check label="Required" value={s.required} onChange={(v) => set("required", v)} error={errors.required} />
          <Check label="Unique" value={s.unique} onChange={(v) => set("unique", v)} error={errors.unique} />
          <Check label="Indexed" value={s.indexed} onChange={(v) => set("indexed", v)} error={errors.indexed} />
          <Check label="Track history" value={s.history} onChange={(v) => set("history", v)} error={errors.history} />
        </fieldset>
        <ErrorBox error={general} />
        <div class="row end">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !name}>
            {busy ? "Saving…" : "Save field"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function Check(props: { label: string; value: boolean; onChange: (v: boolean) => void; error?: string }) {
  return (
    <Field label={props.label} error={props.error}>
      {(id) => <input id={id} type="checkbox" checked={props.value} onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)} />}
    </Field>
  );
}

/** autoName derives a field API name from its label: "Close date" -> "closeDate". */
export function autoName(label: string): string {
  const words = label.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9]+/g, " ").trim().split(" ").filter(Boolean);
  let s = words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join("");
  if (s && !/^[a-z]/.test(s)) s = "f" + s;
  return s.slice(0, 40);
}
