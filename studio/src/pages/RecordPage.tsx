// The record page: fields laid out from the object's layout with inline
// edit, related lists of the objects that point at this one, the history
// of tracked fields and the workflow runs the record triggered.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, request } from "../api";
import { display, fieldsOf, getObject, listObjects, nameField, type FieldInfo, type ObjectDef } from "../meta";
import { base, navigate } from "../router";
import { Empty, ErrorBox, Spinner, toast, useAsync } from "../ui";
import { FieldInput } from "../inputs";
import { loadLayout, type Layout } from "./LayoutEditor";
import { formSections, RecordForm } from "./RecordForm";
import { RecordRuns } from "./WorkflowRuns";

export function RecordPage(props: { object: string; id: string }) {
  const meta = useAsync(() => getObject(props.object), [props.object]);
  const [rec, setRec] = useState<{ data: any; etag: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [layout, setLayout] = useState<Layout | null>(null);
  const [tab, setTab] = useState<"related" | "history">("related");
  const [editAll, setEditAll] = useState(false);

  async function load() {
    try {
      const r = await request("GET", `/records/${props.object}/${props.id}`);
      setRec({ data: r.data, etag: r.etag ?? "" });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    load();
    loadLayout(props.object).then(setLayout, () => setLayout(null));
  }, [props.object, props.id]);

  if (meta.error) return <ErrorBox error={meta.error} />;
  if (error) return <ErrorBox error={error} />;
  if (!meta.data || !rec) return <Spinner label="Loading the record…" />;
  const o = meta.data;
  const r = rec.data;
  const title = r[nameField(o)] || r.id;
  const sections = formSections(o, layout);
  const system = fieldsOf(o).filter((f) => f.system);

  async function remove() {
    if (!confirm(`Delete ${title}? It goes to the recycle bin and can be restored.`)) return;
    try {
      await api.del(`/records/${o.apiName}/${r.id}`);
      toast(`${title} is in the recycle bin`);
      navigate(`/o/${o.apiName}`);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/o/${o.apiName}`}>{o["x-crm-plural"] ?? o.title}</a> / {title}
      </p>
      <div class="page-head record-head">
        <h1>{title}</h1>
        <span class="badge">{o.title}</span>
        <button type="button" onClick={() => setEditAll(true)}>
          Edit
        </button>
        <button type="button" class="danger" onClick={remove}>
          Delete
        </button>
      </div>
      {sections.map((s) => (
        <div class="section card">
          {s.label && <h2>{s.label}</h2>}
          <dl class={s.columns === 1 ? "fields one" : "fields"}>
            {s.fields.map((f) => (
              <InlineField o={o} f={f} record={r} etag={rec.etag} readOnly={f.readOnly || !!f.layoutReadOnly} onSaved={(data, etag) => setRec({ data, etag })} />
            ))}
          </dl>
        </div>
      ))}
      <details class="section card">
        <summary>System information</summary>
        <dl class="fields">
          {system.map((f) => (
            <div>
              <dt>{f.label}</dt>
              <dd>{display(f, r[f.name])}</dd>
            </div>
          ))}
        </dl>
      </details>
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected={tab === "related"} onClick={() => setTab("related")}>
          Related
        </button>
        <button role="tab" aria-selected={tab === "history"} onClick={() => setTab("history")}>
          History
        </button>
      </div>
      {tab === "related" ? <Related o={o} id={r.id} /> : <History o={o} id={r.id} version={r.version} />}
      <RecordRuns object={o.apiName} id={r.id} version={r.version} />
      {editAll && (
        <RecordForm
          o={o}
          record={r}
          etag={rec.etag}
          onClose={() => setEditAll(false)}
          onSaved={() => {
            setEditAll(false);
            load();
            toast("Saved");
          }}
        />
      )}
    </section>
  );
}

function InlineField(props: { o: ObjectDef; f: FieldInfo; record: any; etag: string; readOnly: boolean; onSaved: (r: any, etag: string) => void }) {
  const { f, record } = props;
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState<any>(record[f.name]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function save(e?: Event) {
    e?.preventDefault();
    setBusy(true);
    setError("");
    try {
      const r = await request("PATCH", `/records/${props.o.apiName}/${record.id}`, { [f.name]: value ?? null }, { "If-Match": props.etag });
      props.onSaved(r.data, r.etag ?? "");
      setEditing(false);
      toast(`${f.label} saved`);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status === 412) setError("Someone changed this record meanwhile; reload the page to see their change.");
        else setError(err.fieldErrors()[f.name] ?? err.detail);
      } else setError(String(err));
    } finally {
      setBusy(false);
    }
  }

  if (editing) {
    return (
      <div>
        <form
          onSubmit={save}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              setEditing(false);
              setValue(record[f.name]);
              setError("");
            }
          }}
        >
          <FieldInput f={f} value={value} onChange={setValue} error={error} autoFocus />
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              Save
            </button>
            <button type="button" onClick={() => (setEditing(false), setValue(record[f.name]), setError(""))}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    );
  }
  return (
    <div data-field={f.name}>
      <dt>{f.label}</dt>
      <dd>
        <span>{f.type === "lookup" && record[f.name] && f.def["x-crm-target"] !== "user" ? <a href={`${base}/o/${f.def["x-crm-target"]}/${record[f.name]}`}>{display(f, record[f.name])}</a> : display(f, record[f.name])}</span>
        {!props.readOnly && (
          <button type="button" class="edit" aria-label={`Edit ${f.label}`} onClick={() => (setValue(record[f.name]), setEditing(true))}>
            ✎
          </button>
        )}
      </dd>
    </div>
  );
}

/** Related lists every object with a lookup or master-detail field to this one. */
function Related(props: { o: ObjectDef; id: string }) {
  const children = useAsync(async () => {
    const all = await listObjects();
    const defs = await Promise.all(all.map((x) => getObject(x.apiName).catch(() => null)));
    const out: Array<{ child: ObjectDef; field: FieldInfo }> = [];
    for (const d of defs) {
      if (!d) continue;
      for (const f of fieldsOf(d)) if (!f.system && (f.type === "lookup" || f.type === "masterdetail") && f.def["x-crm-target"] === props.o.apiName) out.push({ child: d, field: f });
    }
    return out;
  }, [props.o.apiName]);
  if (children.loading) return <Spinner label="Finding related records…" />;
  if (children.error) return <ErrorBox error={children.error} />;
  if (!children.data?.length) return <p class="muted">No other object points at {props.o.title}. Add a lookup field to {props.o.title} on another object to see its records here.</p>;
  return (
    <div>
      {children.data.map((c) => (
        <RelatedList parent={props.o} id={props.id} child={c.child} field={c.field} />
      ))}
    </div>
  );
}

function RelatedList(props: { parent: ObjectDef; id: string; child: ObjectDef; field: FieldInfo }) {
  const { child } = props;
  const nf = nameField(child);
  const cols = fieldsOf(child).filter((f) => !f.system && f.name !== props.field.name).slice(0, 4);
  const { data, error, loading } = useAsync(
    () => api.get<{ items: any[]; nextCursor: string | null }>(`/records/${props.parent.apiName}/${props.id}/related/${child.apiName}?field=${props.field.name}&limit=10`),
    [props.id, child.apiName, props.field.name],
  );
  return (
    <div class="section">
      <h2>
        {child["x-crm-plural"] ?? child.title} <span class="muted">({props.field.label})</span>
      </h2>
      {loading && <Spinner />}
      <ErrorBox error={error} />
      {data && data.items.length === 0 && <p class="muted">None yet.</p>}
      {data && data.items.length > 0 && (
        <table class="grid">
          <tbody>
            {data.items.map((r) => (
              <tr>
                {cols.map((c) => (
                  <td>{c.name === nf ? <a href={`${base}/o/${child.apiName}/${r.id}`}>{display(c, r[c.name]) || r.id}</a> : display(c, r[c.name])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data?.nextCursor && <p class="muted">Showing the first 10.</p>}
    </div>
  );
}

function History(props: { o: ObjectDef; id: string; version: number }) {
  const { data, error, loading } = useAsync(() => api.get<{ items: Array<{ field: string; from: any; to: any; at: string; by: string }> }>(`/records/${props.o.apiName}/${props.id}/history`), [props.id, props.version]);
  const fields = fieldsOf(props.o);
  const tracked = fields.filter((f) => f.def["x-crm-history"]);
  if (loading) return <Spinner />;
  if (error) return <ErrorBox error={error} />;
  if (!data?.items.length)
    return (
      <Empty title="No tracked changes">
        <p>{tracked.length ? `Changes of ${tracked.map((f) => f.label).join(", ")} will appear here.` : "No field of this object tracks its history. Tick “Track history” on a field in the object manager."}</p>
      </Empty>
    );
  return (
    <table class="grid">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Field</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">By</th>
        </tr>
      </thead>
      <tbody>
        {data.items.map((c) => {
          const f = fields.find((x) => x.name === c.field);
          return (
            <tr>
              <td>{new Date(c.at).toLocaleString()}</td>
              <td>{f?.label ?? c.field}</td>
              <td>{display(f, c.from)}</td>
              <td>{display(f, c.to)}</td>
              <td>{c.by}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
