// Record lists: paging (keyset cursors), sorting by column, a filter box in
// the API's filter language and a quick search over the text fields.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, qs } from "../api";
import { display, fieldsOf, getObject, listObjects, nameField, type FieldInfo, type ObjectDef } from "../meta";
import { base, navigate } from "../router";
import { Empty, ErrorBox, Spinner, useAsync } from "../ui";
import { RecordForm } from "./RecordForm";
import { filterProblem, filterSyntax, listViews, sortParam, withTiebreak } from "./ListViews";

export function RecordsHome() {
  const { data, error, loading } = useAsync(listObjects, []);
  return (
    <section>
      <div class="page-head">
        <h1>Records</h1>
      </div>
      {loading && <Spinner />}
      <ErrorBox error={error} />
      {data && data.length === 0 && (
        <Empty title="Nothing to work on yet">
          <p>
            Records belong to objects. <a href={`${base}/objects`}>Create an object</a> first.
          </p>
        </Empty>
      )}
      <div class="dash">
        {data?.map((o) => (
          <a class="card" href={`${base}/o/${o.apiName}`}>
            <strong>{o.pluralLabel || o.label}</strong>
            <div class="muted">
              <code>{o.apiName}</code>
            </div>
          </a>
        ))}
      </div>
    </section>
  );
}

const searchable = new Set(["text", "textarea", "email", "phone", "url", "autonumber", "picklist"]);

/** quickFilter builds a filter that finds q in any text-like field. */
export function quickFilter(fields: FieldInfo[], q: string): string {
  const esc = q.trim().replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/%/g, "\\%").replace(/_/g, "\\_");
  const parts = fields.filter((f) => !f.system && searchable.has(f.type)).map((f) => `${f.name} LIKE '%${esc}%'`);
  return parts.length ? `(${parts.join(" OR ")})` : "";
}

export function RecordList(props: { object: string }) {
  const meta = useAsync(() => getObject(props.object), [props.object]);
  if (meta.loading) return <Spinner label="Loading…" />;
  if (meta.error) return <ErrorBox error={meta.error} />;
  return <ListBody o={meta.data!} />;
}

function ListBody(props: { o: ObjectDef }) {
  const o = props.o;
  const fields = fieldsOf(o);
  const nf = nameField(o);
  const views = useAsync(() => listViews(o.apiName).catch(() => []), [o.apiName]);
  const [viewName, setViewName] = useState(() => new URLSearchParams(location.search).get("view") ?? "");
  const view = views.data?.find((v) => v.name === viewName);
  const byName = new Map(fields.map((f) => [f.name, f]));
  const columns = view
    ? (view.columns.map((c) => byName.get(c)).filter(Boolean) as typeof fields)
    : [...fields.filter((f) => !f.system).slice(0, 6), fields.find((f) => f.name === "updatedAt")!].filter(Boolean);
  const [sort, setSort] = useState("-updatedAt");
  const [filterText, setFilterText] = useState("");
  const [filter, setFilter] = useState("");
  const [search, setSearch] = useState("");
  const [q, setQ] = useState("");
  const [cursors, setCursors] = useState<string[]>([""]); // cursor of each page shown so far
  const [page, setPage] = useState<{ items: any[]; nextCursor: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [creating, setCreating] = useState(false);
  const [tick, setTick] = useState(0);
  const limit = 25;
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const t = setTimeout(() => setQ(search), 300);
    return () => clearTimeout(t);
  }, [search]);
  useEffect(() => setCursors([""]), [sort, filter, q, view]);
  useEffect(() => {
    if (views.loading) return;
    setSort(sortParam(view?.sort) || "-updatedAt");
    const url = `${base}/o/${o.apiName}${view ? `?view=${encodeURIComponent(view.name)}` : ""}`;
    if (location.pathname + location.search !== url) history.replaceState(null, "", url);
  }, [view, views.loading]);
  useEffect(() => {
    let live = true;
    setLoading(true);
    if (views.loading) return;
    const full = [view?.filter ? `(${view.filter})` : "", filter.trim() ? `(${filter.trim()})` : "", q.trim() ? quickFilter(fields, q) : ""].filter(Boolean).join(" AND ");
    api
      .get(`/records/${o.apiName}${qs({ filter: full, sort: withTiebreak(sort), limit: view?.limit || limit, cursor })}`)
      .then(
        (p) => live && (setPage(p), setError(null)),
        (e) => live && setError(e),
      )
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [o.apiName, sort, filter, q, cursor, tick, view, views.loading]);

  const filterError = error instanceof ApiError && error.errors.some((e) => e.field === "filter") ? filterProblem(error) : null;
  const sortBy = (name: string) => setSort(sort === name ? `-${name}` : name);
  const hasPicklist = fields.some((f) => f.type === "picklist");

  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/records`}>Records</a> / {o["x-crm-plural"] ?? o.title}
      </p>
      <div class="page-head">
        <h1>{o["x-crm-plural"] ?? o.title ?? o.apiName}</h1>
        {hasPicklist && (
          <a class="button" href={`${base}/o/${o.apiName}/board`}>
            Board
          </a>
        )}
        <a class="button" href={`${base}/objects/${o.apiName}`}>
          Edit object
        </a>
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New {o.title ?? "record"}
        </button>
      </div>
      <div class="toolbar">
        <div class="field">
          <label for="lview">List view</label>
          <select id="lview" value={view ? view.name : ""} onChange={(e) => setViewName((e.target as HTMLSelectElement).value)}>
            <option value="">All records</option>
            {views.data?.map((v) => (
              <option value={v.name}>{v.label || v.name}</option>
            ))}
          </select>
        </div>
        <div class="row">
          {view && (
            <a class="button" href={`${base}/o/${o.apiName}/views/${encodeURIComponent(view.name)}`}>
              Edit view
            </a>
          )}
          <a class="button" href={`${base}/o/${o.apiName}/views/new`}>
            New view
          </a>
          <a class="button" href={`${base}/o/${o.apiName}/import`}>
            Import CSV
          </a>
        </div>
        <div class="field">
          <label for="quick">Search</label>
          <input id="quick" type="search" placeholder="Find in text fields…" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </div>
        <form
          class="field grow"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(filterText);
          }}
        >
          <label for="filter">Filter</label>
          <div class="row">
            <input
              id="filter"
              class="grow"
              placeholder="stage = 'won' AND amount >= 1000"
              value={filterText}
              aria-invalid={filterError ? "true" : undefined}
              aria-describedby="filter-help"
              onInput={(e) => setFilterText((e.target as HTMLInputElement).value)}
            />
            <button type="submit">Apply</button>
            {filter && (
              <button type="button" class="link" onClick={() => (setFilterText(""), setFilter(""))}>
                Clear
              </button>
            )}
          </div>
          <small id="filter-help" class={filterError ? "error" : "help"} role={filterError ? "alert" : undefined}>
            {filterError ?? filterSyntax}
          </small>
        </form>
      </div>
      {!filterError && <ErrorBox error={error} />}
      {loading && !page && <Spinner label="Loading records…" />}
      {page && page.items.length === 0 && !loading && (
        <Empty title={filter || q || view?.filter ? "No record matches" : `No ${(o["x-crm-plural"] ?? "records").toLowerCase()} yet`}>
          <p>{filter || q ? "Change the search or the filter, or clear them." : `Create the first one with “New ${o.title ?? "record"}”.`}</p>
        </Empty>
      )}
      {page && page.items.length > 0 && (
        <div class="table-wrap">
          <table class="grid responsive" aria-busy={loading}>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col" aria-sort={sort === c.name ? "ascending" : sort === `-${c.name}` ? "descending" : undefined}>
                    <button type="button" onClick={() => sortBy(c.name)}>
                      {c.label} {sort === c.name ? "▲" : sort === `-${c.name}` ? "▼" : ""}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr>
                  {columns.map((c, i) => (
                    <td data-label={c.label}>{i === 0 || c.name === nf ? <a href={`${base}/o/${o.apiName}/${r.id}`}>{display(c, r[c.name]) || "(no name)"}</a> : display(c, r[c.name])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <span class="muted">Page {cursors.length}</span>
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <button type="button" disabled={!page?.nextCursor} onClick={() => setCursors([...cursors, page!.nextCursor!])}>
          Next
        </button>
      </nav>
      {creating && (
        <RecordForm
          o={o}
          onClose={() => setCreating(false)}
          onSaved={(r) => {
            setCreating(false);
            setTick(tick + 1);
            navigate(`/o/${o.apiName}/${r.id}`);
          }}
        />
      )}
    </section>
  );
}
