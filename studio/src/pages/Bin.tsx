// The recycle bin of one object at a time, listed by the server
// (GET /recyclebin/{object}, newest first, only what the caller may
// restore) with keyset paging; Restore brings a record back
// (POST /records/{object}/{id}/restore).
import { useEffect, useState } from "preact/hooks";
import { api, qs } from "../api";
import { getObject, listObjects, nameField, type ObjectDef } from "../meta";
import { base } from "../router";
import { Empty, ErrorBox, isMissingEndpoint, Spinner, toast, Unavailable, useAsync } from "../ui";

interface Deleted {
  id: string;
  object: string;
  deletedAt: string;
  deletedBy: string;
  record: Record<string, any>;
}

const pageSize = 20;

export function Bin() {
  const objects = useAsync(listObjects, []);
  const users = useAsync(() => api.get<{ items: Array<{ id: string; name?: string; email: string }> }>("/users").then((r) => new Map(r.items.map((u) => [u.id, u.name || u.email])), () => new Map<string, string>()), []);
  const [object, setObject] = useState(() => new URLSearchParams(location.search).get("object") ?? "");
  const [o, setO] = useState<ObjectDef | null>(null);
  const [cursors, setCursors] = useState<string[]>([""]);
  const [page, setPage] = useState<{ items: Deleted[]; nextCursor: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    if (!object && objects.data?.length) setObject(objects.data[0].apiName);
  }, [objects.data]);
  useEffect(() => {
    if (!object) return;
    setCursors([""]);
    getObject(object).then(setO, setError);
    const url = `${base}/bin?object=${encodeURIComponent(object)}`;
    if (location.pathname + location.search !== url) history.replaceState(null, "", url);
  }, [object]);
  useEffect(() => {
    if (!object) return;
    let live = true;
    setLoading(true);
    api
      .get<any>(`/recyclebin/${encodeURIComponent(object)}${qs({ limit: pageSize, cursor })}`)
      .then(
        (r) => live && (setPage({ items: r.items ?? r.data ?? [], nextCursor: r.nextCursor ?? null }), setError(null)),
        (e) => live && (setError(e), setPage(null)),
      )
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [object, cursor, tick]);

  async function restore(d: Deleted, title: string) {
    setError(null);
    try {
      await api.post(`/records/${d.object}/${d.id}/restore`);
      toast(`${title} restored`);
      setTick((t) => t + 1);
    } catch (e) {
      setError(e);
    }
  }

  if (objects.loading) return <Spinner />;
  if (objects.error) return <ErrorBox error={objects.error} />;
  if (isMissingEndpoint(error)) return <Unavailable what="The recycle bin" />;
  const nf = o ? nameField(o) : "id";
  return (
    <section>
      <div class="page-head">
        <h1>Recycle bin</h1>
      </div>
      <p class="muted">Deleted records, newest first. You see the ones you may bring back; a record returns with its history.</p>
      <div class="toolbar">
        <div class="field">
          <label for="bin-object">Object</label>
          <select id="bin-object" value={object} onChange={(e) => setObject((e.target as HTMLSelectElement).value)}>
            {objects.data?.map((x) => (
              <option value={x.apiName}>{x.pluralLabel || x.label}</option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBox error={error} />
      {!objects.data?.length && (
        <Empty title="The recycle bin is empty">
          <p>There are no objects yet, so nothing has been deleted.</p>
        </Empty>
      )}
      {loading && !page && <Spinner label="Loading the recycle bin…" />}
      {page && page.items.length === 0 && !loading && (
        <Empty title="The recycle bin is empty">
          <p>Deleted {(o?.["x-crm-plural"] ?? "records").toLowerCase()} appear here so that you can bring them back.</p>
        </Empty>
      )}
      {page && page.items.length > 0 && (
        <table class="grid responsive" aria-busy={loading}>
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Deleted</th>
              <th scope="col">Deleted by</th>
              <th scope="col">
                <span class="sr">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((d) => {
              const title = String(d.record?.[nf] ?? d.id);
              return (
                <tr data-bin={d.id}>
                  <td data-label="Record">{title}</td>
                  <td data-label="Deleted">{d.deletedAt ? new Date(d.deletedAt).toLocaleString() : ""}</td>
                  <td data-label="Deleted by">{users.data?.get(d.deletedBy) ?? d.deletedBy}</td>
                  <td class="actions">
                    <button type="button" aria-label={`Restore ${title}`} onClick={() => restore(d, title)}>
                      Restore
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {page && (cursors.length > 1 || page.nextCursor) && (
        <nav class="pager" aria-label="Pages">
          <span class="muted">Page {cursors.length}</span>
          <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous
          </button>
          <button type="button" disabled={!page.nextCursor} onClick={() => setCursors([...cursors, page.nextCursor!])}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
