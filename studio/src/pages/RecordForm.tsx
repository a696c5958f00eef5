// The record form: new records (and full edits), laid out from the
// object's layout when it has one, with the API's validation messages
// shown on the fields they concern.
import { useEffect, useState } from "preact/hooks";
import { ApiError, request } from "../api";
import { fieldsOf, type FieldInfo, type ObjectDef } from "../meta";
import { ErrorBox, Modal } from "../ui";
import { FieldInput } from "../inputs";
import { loadLayout, type Layout } from "./LayoutEditor";

/** formSections groups the editable fields by the layout's sections. */
export function formSections(o: ObjectDef, layout: Layout | null): Array<{ label?: string; columns: number; fields: Array<FieldInfo & { layoutReadOnly?: boolean }> }> {
  const fields = fieldsOf(o);
  const byName = new Map(fields.map((f) => [f.name, f]));
  if (!layout) return [{ columns: 2, fields: fields.filter((f) => !f.system) }];
  return layout.sections.map((s) => ({
    label: s.label,
    columns: s.columns ?? 2,
    fields: s.items.flatMap((it) => {
      const f = byName.get(it.field);
      return f ? [{ ...f, layoutReadOnly: it.readOnly }] : [];
    }),
  }));
}

export function RecordForm(props: { o: ObjectDef; record?: any; etag?: string; onClose: () => void; onSaved: (r: any) => void }) {
  const { o } = props;
  const editing = !!props.record;
  const [layout, setLayout] = useState<Layout | null | undefined>(undefined);
  const [values, setValues] = useState<Record<string, any>>(() => (props.record ? { ...props.record } : defaults(o)));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    loadLayout(o.apiName).then(setLayout, () => setLayout(null));
  }, [o.apiName]);

  const sections = formSections(o, layout ?? null);
  const editable = (f: FieldInfo & { layoutReadOnly?: boolean }) => !f.readOnly && !f.layoutReadOnly;

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setGeneral(null);
    const body: Record<string, any> = {};
    for (const s of sections)
      for (const f of s.fields) {
        if (!editable(f)) continue;
        const v = values[f.name];
        if (editing) {
          if (JSON.stringify(v ?? null) !== JSON.stringify(props.record[f.name] ?? null)) body[f.name] = v ?? null;
        } else if (v !== null && v !== undefined && v !== "") body[f.name] = v;
      }
    try {
      const r = editing
        ? await request("PATCH", `/records/${o.apiName}/${props.record.id}`, body, props.etag ? { "If-Match": props.etag } : {})
        : await request("POST", `/records/${o.apiName}`, body);
      props.onSaved(r.data);
    } catch (err) {
      if (err instanceof ApiError) {
        const shown = new Set(sections.flatMap((s) => s.fields.map((f) => f.name)));
        const fe = err.fieldErrors();
        const placed: Record<string, string> = {};
        let rest = false;
        for (const [k, m] of Object.entries(fe)) {
          if (k && shown.has(k)) placed[k] = m;
          else rest = true;
        }
        setErrors(placed);
        if (rest || Object.keys(placed).length === 0 || err.status === 412) setGeneral(err.status === 412 ? new Error("Someone else changed this record meanwhile. Close the form and open it again to see their change.") : err);
        const first = Object.keys(placed)[0];
        if (first) setTimeout(() => (document.querySelector(`[name="${first}"]`) as HTMLElement | null)?.focus(), 0);
      } else setGeneral(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title={editing ? `Edit ${o.title ?? "record"}` : `New ${o.title ?? "record"}`} onClose={props.onClose}>
      <form onSubmit={submit} noValidate aria-label={`${o.title ?? "Record"} form`}>
        {Object.keys(errors).length > 0 && (
          <p class="error" role="alert">
            Please fix the {Object.keys(errors).length === 1 ? "field" : `${Object.keys(errors).length} fields`} marked below.
          </p>
        )}
        {sections.map((s) => (
          <fieldset class="section">
            {s.label && <legend>{s.label}</legend>}
            <div class={s.columns === 1 ? "" : "cols2"}>
              {s.fields.filter(editable).map((f, i) => (
                <FieldInput f={f} value={values[f.name]} error={errors[f.name]} autoFocus={i === 0 && s === sections[0]} onChange={(v) => setValues((x) => ({ ...x, [f.name]: v }))} />
              ))}
            </div>
          </fieldset>
        ))}
        <ErrorBox error={general} />
        <div class="row end">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function defaults(o: ObjectDef): Record<string, any> {
  const out: Record<string, any> = {};
  for (const f of fieldsOf(o)) if (f.def.default !== undefined) out[f.name] = f.def.default;
  return out;
}
