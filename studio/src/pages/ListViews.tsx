// The list view editor: a saved list of an object's records (columns in
// order, a filter in the API's filter language, sort keys in order), stored through
// /objects/{object}/listviews/{name}. The filter is checked live against the
// records API, whose 400 answer names the problem and its position.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, qs, withPosition } from "../api";
import { display, fieldsOf, getObject, type FieldInfo, type ObjectDef } from "../meta";
import { base, navigate } from "../router";
import { ErrorBox, Field, Spinner, TextInput, toast, useAsync } from "../ui";

/** ListViewDef is a list view's definition as the API stores it. */
export interface ListViewDef {
  name: string;
  label?: string;
  object: string;
  columns: string[];
  filter?: string;
  sort?: Array<{ field: string; desc?: boolean }>;
  limit?: number;
}

/** listViews fetches an object's saved list views in name order. */
export async function listViews(object: string): Promise<ListViewDef[]> {
  const r = await api.get<{ items: Array<{ name: string; definition: ListViewDef }> }>(`/objects/${encodeURIComponent(object)}/listviews`);
  return (r.items ?? []).map((v) => ({ ...v.definition, name: v.name }));
}

/** sortParam turns a view's sort keys into the API's sort parameter. */
export function sortParam(sort: ListViewDef["sort"]): string {
  return (sort ?? []).map((k) => (k.desc ? `-${k.field}` : k.field)).join(",");
}

/** maxSortKeys is how many keys the API's sort parameter takes. */
export const maxSortKeys = 4;

/**
 * withTiebreak adds id as the last key of a sort parameter when there is
 * room, so that equal values keep one order from page to page (the store
 * breaks ties by id anyway; the key only makes the order explicit).
 */
export function withTiebreak(sort: string): string {
  const keys = sort.split(",").filter(Boolean);
  if (keys.length >= maxSortKeys || keys.some((k) => k.replace(/^[-+]/, "") === "id")) return keys.join(",");
  return [...keys, "id"].join(",");
}

/** sortable says whether the API can sort on a field of this type. */
const sortable = (f: FieldInfo) => !["multipicklist", "geolocation", "richtext", "textarea"].includes(f.type);

/** FilterSyntax is the short help shown under every filter input. */
export const filterSyntax =
  "Fields, = != < <= > >= IN (…) NOT IN LIKE '%x%' IS NULL IS NOT NULL, joined with AND / OR / NOT and parentheses; text in 'quotes', dates as 2026-01-31.";

/** filterProblem picks the filter's message (with its position) out of an API error. */
export function filterProblem(e: unknown): string | null {
  if (!(e instanceof ApiError) || (e.status !== 400 && e.status !== 422)) return null;
  const fe = e.errors.find((x) => x.field === "filter" || x.field === "/filter");
  if (!fe) return e.status === 400 ? e.detail : null;
  return withPosition(fe);
}

const slug = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .replace(/_+$/, "")
    .slice(0, 40);

export function ListViewEdit(props: { object: string; name: string }) {
  const meta = useAsync(() => getObject(props.object), [props.object]);
  const existing = useAsync(
    () =>
      props.name === "new"
        ? Promise.resolve(null)
        : api.get<{ definition: ListViewDef }>(`/objects/${encodeURIComponent(props.object)}/listviews/${encodeURIComponent(props.name)}`).then((v) => v.definition),
    [props.object, props.name],
  );
  if (meta.loading || existing.loading) return <Spinner label="Loading the list view…" />;
  if (meta.error || existing.error) return <ErrorBox error={meta.error || existing.error} />;
  return <Editor o={meta.data!} initial={existing.data ?? null} />;
}

function Editor(props: { o: ObjectDef; initial: ListViewDef | null }) {
  const o = props.o;
  const fields = fieldsOf(o);
  const byName = new Map(fields.map((f) => [f.name, f]));
  const isNew = !props.initial;
  const [label, setLabel] = useState(props.initial?.label ?? "");
  const [typedName, setName] = useState(props.initial?.name ?? "");
  const [nameTouched, setNameTouched] = useState(!isNew);
  const name = nameTouched ? typedName : slug(label);
  const [columns, setColumns] = useState<string[]>(props.initial?.columns ?? fields.filter((f) => !f.system).slice(0, 4).map((f) => f.name));
  const [adding, setAdding] = useState("");
  const [filter, setFilter] = useState(props.initial?.filter ?? "");
  const [sort, setSort] = useState<Array<{ field: string; desc?: boolean }>>(props.initial?.sort ?? []);
  const [check, setCheck] = useState<{ state: "idle" | "checking" | "ok" | "bad"; message?: string; items?: any[] }>({ state: "idle" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  // A save's error for the filter or the sort holds until they change.
  useEffect(() => setErrors(({ filter: _f, ...rest }) => rest), [filter]);
  useEffect(() => setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith("sort")))), [sort]);

  // Live check of the filter: the records API parses it and answers 400
  // naming the position of a mistake. The first rows are a preview.
  useEffect(() => {
    setCheck((c) => ({ state: "checking", items: c.items }));
    const t = setTimeout(async () => {
      try {
        const page = await api.get<{ items: any[] }>(`/records/${o.apiName}${qs({ filter: filter.trim(), sort: sort.length ? withTiebreak(sortParam(sort)) : undefined, limit: 5 })}`);
        setCheck({ state: "ok", items: page.items });
      } catch (e) {
        const p = filterProblem(e);
        setCheck(p ? { state: "bad", message: p } : { state: "idle" });
        if (!p) setGeneral(e);
      }
    }, 350);
    return () => clearTimeout(t);
  }, [filter, sort]);

  const move = (i: number, d: number) => {
    const j = i + d;
    if (j < 0 || j >= columns.length) return;
    const next = [...columns];
    [next[i], next[j]] = [next[j], next[i]];
    setColumns(next);
  };

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setGeneral(null);
    const def: ListViewDef = { name, label: label.trim() || undefined, object: o.apiName, columns, filter: filter.trim() || undefined, sort: sort.length ? sort.map((k) => ({ field: k.field, desc: k.desc || undefined })) : undefined };
    try {
      await api.put(`/objects/${o.apiName}/listviews/${encodeURIComponent(name)}`, def);
      toast(`List view ${label || name} saved`);
      navigate(`/o/${o.apiName}?view=${encodeURIComponent(name)}`);
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        const out: Record<string, string> = {};
        let placed = false;
        for (const x of err.errors) {
          const p = x.field ?? "";
          const key = p.startsWith("/columns") ? "columns" : p.startsWith("/sort") ? sortErrorKey(p) : p === "/filter" || p === "filter" ? "filter" : p === "/name" || p === "name" ? "name" : "";
          if (!key) continue;
          placed = true;
          const msg = key === "filter" ? withPosition(x) : x.message;
          out[key] = out[key] ? `${out[key]}; ${msg}` : msg;
        }
        setErrors(out);
        if (!placed) setGeneral(err);
      } else setGeneral(err);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!confirm(`Delete the list view ${label || name}?`)) return;
    try {
      await api.del(`/objects/${o.apiName}/listviews/${encodeURIComponent(name)}`);
      toast(`List view ${label || name} deleted`);
      navigate(`/o/${o.apiName}`);
    } catch (e) {
      setGeneral(e);
    }
  }

  const available = fields.filter((f) => !columns.includes(f.name));
  const filterError = errors.filter || (check.state === "bad" ? check.message : undefined);
  const shown = columns.map((c) => byName.get(c)).filter(Boolean) as FieldInfo[];
  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/o/${o.apiName}`}>{o["x-crm-plural"] ?? o.title ?? o.apiName}</a> / {isNew ? "New list view" : `List view ${props.initial!.label || props.initial!.name}`}
      </p>
      <form onSubmit={save} noValidate>
        <div class="page-head">
          <h1>{isNew ? "New list view" : `Edit list view ${props.initial!.label || props.initial!.name}`}</h1>
          {!isNew && (
            <button type="button" class="danger" onClick={remove}>
              Delete view
            </button>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Saving…" : "Save view"}
          </button>
        </div>
        <ErrorBox error={general} />
        <div class="card cols2">
          <TextInput label="View label" value={label} onInput={setLabel} autoFocus required placeholder="Open deals" />
          {isNew ? (
            <TextInput label="View API name" value={name} error={errors.name} help="Letters, digits and _; cannot change later." onInput={(v) => (setName(v), setNameTouched(true))} />
          ) : (
            <Field label="View API name">{(id) => <input id={id} value={name} disabled />}</Field>
          )}
        </div>
        <div class="cols2 section">
          <fieldset class="card">
            <legend>Columns</legend>
            {columns.length === 0 && <p class="muted">No column yet: add at least one below.</p>}
            <ol class="fields-list" aria-label="Columns in order">
              {columns.map((c, i) => (
                <li data-column-item={c}>
                  <span class="grow">{byName.get(c)?.label ?? c}</span>
                  <button type="button" class="link" aria-label={`Move ${byName.get(c)?.label ?? c} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                    ↑
                  </button>
                  <button type="button" class="link" aria-label={`Move ${byName.get(c)?.label ?? c} down`} disabled={i === columns.length - 1} onClick={() => move(i, 1)}>
                    ↓
                  </button>
                  <button type="button" class="link" aria-label={`Remove column ${byName.get(c)?.label ?? c}`} onClick={() => setColumns(columns.filter((x) => x !== c))}>
                    ✕
                  </button>
                </li>
              ))}
            </ol>
            <div class="row">
              <div class="field grow">
                <label for="lv-add">Add column</label>
                <select id="lv-add" value={adding} onChange={(e) => setAdding((e.target as HTMLSelectElement).value)}>
                  <option value="">Choose a field…</option>
                  {available.map((f) => (
                    <option value={f.name}>{f.label}</option>
                  ))}
                </select>
              </div>
              <button type="button" disabled={!adding} onClick={() => (setColumns([...columns, adding]), setAdding(""))}>
                Add
              </button>
            </div>
            {errors.columns && (
              <small class="error" role="alert">
                {errors.columns}
              </small>
            )}
          </fieldset>
          <div class="card">
            <div class={"field" + (filterError ? " invalid" : "")}>
              <label for="lv-filter">Filter</label>
              <textarea
                id="lv-filter"
                rows={3}
                value={filter}
                placeholder="stage = 'won' AND amount >= 1000"
                aria-invalid={filterError ? "true" : undefined}
                aria-describedby="lv-filter-help lv-filter-state"
                onInput={(e) => setFilter((e.target as HTMLTextAreaElement).value)}
              />
              <small id="lv-filter-help" class="help">
                {filterSyntax}
              </small>
              <small id="lv-filter-state" class={filterError ? "error" : "help"} role={filterError ? "alert" : "status"} aria-live="polite">
                {filterError ?? (check.state === "checking" ? "Checking the filter…" : check.state === "ok" ? (filter.trim() ? "The filter is valid." : "No filter: every record is listed.") : "")}
              </small>
            </div>
            <SortKeys fields={fields.filter(sortable)} sort={sort} errors={errors} onChange={setSort} />
          </div>
        </div>
      </form>
      <h2 class="section">Preview</h2>
      {check.state === "checking" && !check.items && <Spinner label="Loading the preview…" />}
      {check.state === "bad" && <p class="muted">Fix the filter to see a preview.</p>}
      {check.items && check.items.length === 0 && <p class="muted">No record matches this filter yet.</p>}
      {check.items && check.items.length > 0 && shown.length > 0 && (
        <div class="table-wrap">
          <table class="grid" aria-label="Preview of the first records">
            <thead>
              <tr>
                {shown.map((f) => (
                  <th scope="col">{f.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {check.items.map((r) => (
                <tr>
                  {shown.map((f) => (
                    <td>{display(f, r[f.name])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** sortErrorKey files an error pointer /sort/{i}/… under its key, sort/{i}. */
function sortErrorKey(p: string): string {
  const m = /^\/sort\/(\d+)/.exec(p);
  return m ? `sort/${m[1]}` : "sort";
}

/**
 * SortKeys edits a view's sort: keys in order (the first decides, the next
 * ones break its ties), each a field and a direction; keys are added,
 * removed and moved. A field is offered once.
 */
function SortKeys(props: { fields: FieldInfo[]; sort: Array<{ field: string; desc?: boolean }>; errors: Record<string, string>; onChange: (s: Array<{ field: string; desc?: boolean }>) => void }) {
  const { sort } = props;
  const used = new Set(sort.map((k) => k.field));
  const free = props.fields.filter((f) => !used.has(f.name));
  const set = (i: number, patch: Partial<{ field: string; desc?: boolean }>) => props.onChange(sort.map((k, j) => (j === i ? { ...k, ...patch } : k)));
  const move = (i: number, d: number) => {
    const j = i + d;
    if (j < 0 || j >= sort.length) return;
    const next = [...sort];
    [next[i], next[j]] = [next[j], next[i]];
    props.onChange(next);
  };
  return (
    <fieldset class={"field" + (props.errors.sort ? " invalid" : "")}>
      <legend>Sort</legend>
      {sort.length === 0 && <p class="muted">Default order: last updated first. Add a sort key to choose.</p>}
      <ol class="sort-keys" aria-label="Sort keys in order">
        {sort.map((k, i) => {
          const n = i + 1;
          const err = props.errors[`sort/${i}`];
          return (
            <li data-sort-key={k.field} class={err ? "invalid" : undefined}>
              <div class="row">
                <div class="field grow">
                  <label for={`lv-sort-${i}`}>Sort key {n}</label>
                  <select
                    id={`lv-sort-${i}`}
                    value={k.field}
                    aria-invalid={err ? "true" : undefined}
                    aria-describedby={err ? `lv-sort-${i}-err` : undefined}
                    onChange={(e) => set(i, { field: (e.target as HTMLSelectElement).value })}
                  >
                    {props.fields
                      .filter((f) => f.name === k.field || !used.has(f.name))
                      .map((f) => (
                        <option value={f.name}>{f.label}</option>
                      ))}
                  </select>
                </div>
                <div class="field">
                  <label for={`lv-dir-${i}`}>Direction</label>
                  <select id={`lv-dir-${i}`} aria-label={`Direction of sort key ${n}`} value={k.desc ? "desc" : "asc"} onChange={(e) => set(i, { desc: (e.target as HTMLSelectElement).value === "desc" })}>
                    <option value="asc">Ascending (A→Z, 0→9)</option>
                    <option value="desc">Descending (Z→A, 9→0)</option>
                  </select>
                </div>
                <button type="button" class="link" aria-label={`Move sort key ${n} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  ↑
                </button>
                <button type="button" class="link" aria-label={`Move sort key ${n} down`} disabled={i === sort.length - 1} onClick={() => move(i, 1)}>
                  ↓
                </button>
                <button type="button" class="link" aria-label={`Remove sort key ${n}`} onClick={() => props.onChange(sort.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </div>
              {err && (
                <small class="error" role="alert" id={`lv-sort-${i}-err`}>
                  {err}
                </small>
              )}
            </li>
          );
        })}
      </ol>
      <div class="row">
        <button type="button" disabled={sort.length >= maxSortKeys || free.length === 0} onClick={() => props.onChange([...sort, { field: free[0].name }])}>
          Add sort key
        </button>
        <small class="help">{sort.length >= maxSortKeys ? `At most ${maxSortKeys} keys.` : "Each key after the first orders the records the keys above leave tied."}</small>
      </div>
      {props.errors.sort && (
        <small class="error" role="alert">
          {props.errors.sort}
        </small>
      )}
    </fieldset>
  );
}
