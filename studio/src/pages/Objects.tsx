// The object manager's list: every object of the tenant and a form to create one.
import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { listObjects, forgetObject } from "../meta";
import { base, navigate } from "../router";
import { Empty, ErrorBox, Modal, Spinner, TextInput, useAsync } from "../ui";

export function Objects() {
  const { data, error, loading, reload } = useAsync(listObjects, []);
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <div class="page-head">
        <h1>Objects</h1>
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New object
        </button>
      </div>
      {loading && <Spinner label="Loading objects…" />}
      <ErrorBox error={error} />
      {data && data.length === 0 && (
        <Empty title="No objects yet">
          <p>An object is a kind of record your company keeps, such as Account, Deal or Invoice. Create the first one with “New object”.</p>
        </Empty>
      )}
      {data && data.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">API name</th>
              <th scope="col">Kind</th>
              <th scope="col">Version</th>
              <th scope="col">
                <span class="sr">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((o) => (
              <tr>
                <td>
                  <a href={`${base}/objects/${o.apiName}`}>{o.label}</a>
                </td>
                <td>
                  <code>{o.apiName}</code>
                </td>
                <td>{o.custom === false ? "Standard" : "Custom"}</td>
                <td>{o.version ?? ""}</td>
                <td class="actions">
                  <a href={`${base}/o/${o.apiName}`}>Records</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <NewObject
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            reload();
            navigate(`/objects/${name}`);
          }}
        />
      )}
    </section>
  );
}

/** apiNameOf derives an API name from a label: "Sales Deal" -> "sales_deal". */
export function apiNameOf(label: string): string {
  let s = label.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  if (s && !/^[a-z]/.test(s)) s = "x_" + s;
  return s.slice(0, 40);
}

function NewObject(props: { onClose: () => void; onCreated: (apiName: string) => void }) {
  const [label, setLabel] = useState("");
  const [plural, setPlural] = useState("");
  const [apiName, setApiName] = useState("");
  const [touchedName, setTouchedName] = useState(false);
  const [sharing, setSharing] = useState("readwrite");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const name = touchedName ? apiName : apiNameOf(label);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setError(null);
    const def = {
      title: label,
      "x-crm-plural": plural || label + "s",
      "x-crm-sharing": sharing,
      type: "object",
      properties: { name: { type: "string", "x-crm-type": "text", "x-crm-label": "Name", maxLength: 255 } },
      required: ["name"],
    };
    try {
      await api.put(`/objects/${encodeURIComponent(name)}`, def);
      forgetObject(name);
      props.onCreated(name);
    } catch (err) {
      if (err instanceof ApiError) {
        const fe: Record<string, string> = {};
        for (const x of err.errors) {
          const f = x.field ?? "";
          const key = f.includes("plural") ? "plural" : f.includes("title") ? "label" : f.includes("sharing") ? "sharing" : f === "" || f.includes("apiName") ? "apiName" : "";
          if (key) fe[key] = (fe[key] ? fe[key] + "; " : "") + x.message;
        }
        if (err.status === 404 || err.status === 400) fe.apiName = fe.apiName ?? err.detail;
        setErrors(fe);
        if (Object.keys(fe).length === 0) setError(err);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="New object" onClose={props.onClose}>
      <form onSubmit={submit}>
        <TextInput label="Label" value={label} onInput={setLabel} required autoFocus error={errors.label} help="Singular, as people say it: Invoice" />
        <TextInput label="Plural label" value={plural} onInput={setPlural} error={errors.plural} placeholder={label ? label + "s" : ""} />
        <TextInput
          label="API name"
          value={name}
          onInput={(v) => {
            setTouchedName(true);
            setApiName(v);
          }}
          error={errors.apiName}
          help="Used by the API and scripts; lower case letters, digits and _; cannot change later."
        />
        <div class="field">
          <label for="sharing">Record visibility</label>
          <select id="sharing" value={sharing} onChange={(e) => setSharing((e.target as HTMLSelectElement).value)}>
            <option value="readwrite">Everyone can see and edit</option>
            <option value="read">Everyone can see, owners edit</option>
            <option value="private">Private to owners and their managers</option>
          </select>
          {errors.sharing && <small class="error">{errors.sharing}</small>}
        </div>
        <ErrorBox error={error} />
        <div class="row end">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !name}>
            {busy ? "Creating…" : "Create object"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
