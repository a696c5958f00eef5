// The recycle bin. The API restores a deleted record by id
// (POST /records/{object}/{id}/restore) but offers no listing of the bin,
// so the studio lists the records deleted from this browser.
import { useState } from "preact/hooks";
import { api, loadSession } from "../api";
import { base } from "../router";
import { Empty, ErrorBox, toast } from "../ui";

interface Deleted {
  object: string;
  id: string;
  title: string;
  at: string;
}

function key(): string {
  return `crm.bin.${loadSession()?.tenant ?? ""}`;
}
function read(): Deleted[] {
  try {
    return JSON.parse(localStorage.getItem(key()) ?? "[]");
  } catch {
    return [];
  }
}
function write(list: Deleted[]) {
  localStorage.setItem(key(), JSON.stringify(list.slice(0, 200)));
}

export function rememberDeleted(object: string, id: string, title: string) {
  write([{ object, id, title, at: new Date().toISOString() }, ...read().filter((d) => d.id !== id)]);
}

export function Bin() {
  const [items, setItems] = useState(read());
  const [error, setError] = useState<unknown>(null);
  async function restore(d: Deleted) {
    setError(null);
    try {
      await api.post(`/records/${d.object}/${d.id}/restore`);
      const next = read().filter((x) => x.id !== d.id);
      write(next);
      setItems(next);
      toast(`${d.title} restored`);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <section>
      <div class="page-head">
        <h1>Recycle bin</h1>
      </div>
      <p class="muted">Records you deleted from this browser, newest first. A deleted record can be restored until the bin's retention runs out.</p>
      <ErrorBox error={error} />
      {items.length === 0 ? (
        <Empty title="The recycle bin is empty">
          <p>Deleted records appear here so that you can bring them back.</p>
        </Empty>
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Object</th>
              <th scope="col">Deleted</th>
              <th scope="col">
                <span class="sr">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr>
                <td>{d.title}</td>
                <td>
                  <a href={`${base}/o/${d.object}`}>{d.object}</a>
                </td>
                <td>{new Date(d.at).toLocaleString()}</td>
                <td class="actions">
                  <button type="button" onClick={() => restore(d)}>
                    Restore
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
