// Security: users, roles with their permission matrix (objects × actions,
// fields × access) and API keys. Endpoints a server lacks (404) are said so.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { fieldsOf, getObject, listObjects, type ObjectDef } from "../meta";
import { Empty, ErrorBox, isMissingEndpoint, Modal, Spinner, TextInput, toast, Unavailable, useAsync } from "../ui";

interface User {
  id: string;
  email: string;
  name: string;
  roles: string[];
  active: boolean;
  manager?: string;
}

export function Users() {
  const { data, error, loading, reload } = useAsync(() => api.get<{ items: User[] }>("/users").then((r) => r.items ?? []), []);
  const roles = useAsync(() => api.get<{ items: Array<{ name: string }> }>("/roles").then((r) => r.items.map((x) => x.name)), []);
  const [creating, setCreating] = useState(false);
  if (isMissingEndpoint(error)) return <Unavailable what="User management" />;
  return (
    <section>
      <div class="page-head">
        <h1>Users</h1>
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New user
        </button>
      </div>
      {loading && <Spinner />}
      <ErrorBox error={error} />
      {data && (
        <table class="grid responsive">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {data.map((u) => (
              <tr>
                <td data-label="Name">{u.name}</td>
                <td data-label="Email">{u.email}</td>
                <td data-label="Roles">{u.roles.join(", ")}</td>
                <td data-label="Status">{u.active ? "Active" : "Deactivated"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && <NewUser roles={roles.data ?? ["admin"]} users={data ?? []} onClose={() => setCreating(false)} onCreated={() => (setCreating(false), reload())} />}
    </section>
  );
}

function NewUser(props: { roles: string[]; users: User[]; onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<string[]>([]);
  const [manager, setManager] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setErrors({});
    setGeneral(null);
    try {
      await api.post("/users", { name, email, password, roles, manager });
      toast(`${email} can now sign in`);
      props.onCreated();
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) setErrors(err.fieldErrors());
      else setGeneral(err);
    }
  }
  const allRoles = Array.from(new Set(["admin", ...props.roles]));
  return (
    <Modal title="New user" onClose={props.onClose}>
      <form onSubmit={submit}>
        <TextInput label="Full name" value={name} onInput={setName} error={errors.name} autoFocus />
        <TextInput label="Email" type="email" value={email} onInput={setEmail} error={errors.email} required />
        <TextInput label="Initial password" type="password" value={password} onInput={setPassword} error={errors.password} help="At least 8 characters. Tell the user to change it." required />
        <fieldset class="field">
          <legend>Roles</legend>
          <div class="row">
            {allRoles.map((r) => (
              <label class="row">
                <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles((e.target as HTMLInputElement).checked ? [...roles, r] : roles.filter((x) => x !== r))} /> {r}
              </label>
            ))}
          </div>
          {errors.roles && <small class="error">{errors.roles}</small>}
        </fieldset>
        <div class="field">
          <label for="mgr">Manager</label>
          <select id="mgr" value={manager} onChange={(e) => setManager((e.target as HTMLSelectElement).value)}>
            <option value="">No manager</option>
            {props.users.map((u) => (
              <option value={u.id}>{u.name || u.email}</option>
            ))}
          </select>
          {errors.manager && <small class="error">{errors.manager}</small>}
        </div>
        <ErrorBox error={general} />
        <div class="row end">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Create user
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ApiKeys() {
  const { data, error, loading, reload } = useAsync(() => api.get<{ items: any[] }>("/apikeys").then((r) => r.items ?? []), []);
  const users = useAsync(() => api.get<{ items: User[] }>("/users").then((r) => r.items ?? []), []);
  const [name, setName] = useState("");
  const [user, setUser] = useState("");
  const [shown, setShown] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  if (isMissingEndpoint(error)) return <Unavailable what="API keys" />;
  async function create(e: Event) {
    e.preventDefault();
    setErr(null);
    try {
      const r = await api.post<{ key: string }>("/apikeys", { name, user });
      setShown(r.key);
      setName("");
      reload();
    } catch (x) {
      setErr(x);
    }
  }
  async function revoke(id: string) {
    if (!confirm("Revoke this key? Programs that use it stop working at once.")) return;
    try {
      await api.del(`/apikeys/${id}`);
      toast("Key revoked");
      reload();
    } catch (x) {
      setErr(x);
    }
  }
  return (
    <section>
      <div class="page-head">
        <h1>API keys</h1>
      </div>
      <form class="card toolbar" onSubmit={create}>
        <div class="field grow">
          <label for="kname">Key name</label>
          <input id="kname" value={name} required placeholder="erp sync" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="kuser">Acts as user</label>
          <select id="kuser" value={user} required onChange={(e) => setUser((e.target as HTMLSelectElement).value)}>
            <option value="">Choose…</option>
            {users.data?.map((u) => (
              <option value={u.id}>{u.name || u.email}</option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      {shown && (
        <div class="alert" role="status" style="background:#eefaf1;border-color:#9fd3b0;color:#0d3a1c">
          Copy this key now; it is shown only once: <code data-testid="new-key">{shown}</code>
        </div>
      )}
      <ErrorBox error={err ?? error} />
      {loading && <Spinner />}
      {data && data.length === 0 && <p class="muted">No API key yet. Integrations use a key instead of a password.</p>}
      {data && data.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">User</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="sr">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>{users.data?.find((u) => u.id === k.user)?.email ?? k.user}</td>
                <td>{k.createdAt ? new Date(k.createdAt).toLocaleString() : ""}</td>
                <td class="actions">
                  <button type="button" class="danger" onClick={() => revoke(k.id)}>
                    Revoke
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

interface Perm {
  read: boolean;
  create: boolean;
  update: boolean;
  delete: boolean;
  viewAll: boolean;
  modifyAll?: boolean;
  fields?: Record<string, string>;
}
interface Role {
  name: string;
  parent?: string;
  permissions: Record<string, Perm>;
  studio: boolean;
  version?: number;
}

const actions: Array<keyof Perm> = ["read", "create", "update", "delete", "viewAll", "modifyAll"];

export function Roles() {
  const { data, error, loading, reload } = useAsync(() => api.get<{ items: Role[] }>("/roles").then((r) => r.items ?? []), []);
  const [sel, setSel] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  if (isMissingEndpoint(error)) return <Unavailable what="Roles and permissions" />;
  const role = data?.find((r) => r.name === sel) ?? (sel ? { name: sel, permissions: {}, studio: false } : null);
  return (
    <section>
      <div class="page-head">
        <h1>Roles</h1>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (newName.trim()) setSel(newName.trim());
            setNewName("");
          }}
        >
          <label for="newrole" class="sr">
            New role name
          </label>
          <input id="newrole" placeholder="New role name" value={newName} onInput={(e) => setNewName((e.target as HTMLInputElement).value)} />
          <button type="submit">New role</button>
        </form>
      </div>
      {loading && <Spinner />}
      <ErrorBox error={error} />
      <div class="row">
        {data?.map((r) => (
          <button type="button" aria-pressed={sel === r.name} class={sel === r.name ? "primary" : ""} onClick={() => setSel(r.name)}>
            {r.name}
          </button>
        ))}
      </div>
      {data && data.length === 0 && !sel && <p class="muted">No roles yet besides admin. Name one above to set what its users may do.</p>}
      {role && <RoleMatrix key={role.name} role={role} roles={data ?? []} onSaved={reload} />}
    </section>
  );
}

function RoleMatrix(props: { role: Role; roles: Role[]; onSaved: () => void }) {
  const objects = useAsync(listObjects, []);
  const [r, setR] = useState<Role>(JSON.parse(JSON.stringify(props.role)));
  const [open, setOpen] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [def, setDef] = useState<ObjectDef | null>(null);
  useEffect(() => {
    if (open) getObject(open).then(setDef, setErr);
  }, [open]);
  const perm = (o: string): Perm => r.permissions[o] ?? { read: false, create: false, update: false, delete: false, viewAll: false };
  const setPerm = (o: string, p: Perm) => setR({ ...r, permissions: { ...r.permissions, [o]: p } });
  async function save() {
    setErr(null);
    try {
      const { version: _v, ...body } = r as any;
      delete body.updatedAt;
      delete body.updatedBy;
      delete body.name;
      await api.put(`/roles/${encodeURIComponent(r.name)}`, body);
      toast(`Role ${r.name} saved`);
      props.onSaved();
    } catch (x) {
      setErr(x);
    }
  }
  return (
    <div class="section card">
      <h2>Role {r.name}</h2>
      <div class="row">
        <label class="row">
          <input type="checkbox" checked={r.studio} onChange={(e) => setR({ ...r, studio: (e.target as HTMLInputElement).checked })} /> May use the studio (metadata, scripts, roles, users)
        </label>
        <label class="row">
          Reports to role
          <select value={r.parent ?? ""} onChange={(e) => setR({ ...r, parent: (e.target as HTMLSelectElement).value || undefined })}>
            <option value="">None</option>
            {props.roles.filter((x) => x.name !== r.name).map((x) => (
              <option>{x.name}</option>
            ))}
          </select>
        </label>
      </div>
      {objects.loading && <Spinner />}
      <div class="table-wrap">
        <table class="grid matrix">
          <thead>
            <tr>
              <th scope="col">Object</th>
              {actions.map((a) => (
                <th scope="col">{a}</th>
              ))}
              <th scope="col">Fields</th>
            </tr>
          </thead>
          <tbody>
            {objects.data?.map((o) => (
              <tr>
                <td>{o.label}</td>
                {actions.map((a) => (
                  <td>
                    <input type="checkbox" aria-label={`${o.label} ${a}`} checked={!!perm(o.apiName)[a]} onChange={(e) => setPerm(o.apiName, { ...perm(o.apiName), [a]: (e.target as HTMLInputElement).checked })} />
                  </td>
                ))}
                <td>
                  <button type="button" class="link" aria-expanded={open === o.apiName} onClick={() => setOpen(open === o.apiName ? null : o.apiName)}>
                    Field access
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open && def && (
        <div class="section">
          <h2>Field access on {def.title}</h2>
          <table class="grid matrix">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Edit</th>
                <th scope="col">Read</th>
                <th scope="col">None</th>
              </tr>
            </thead>
            <tbody>
              {fieldsOf(def)
                .filter((f) => !f.system)
                .map((f) => {
                  const cur = perm(open).fields?.[f.name] ?? "edit";
                  return (
                    <tr>
                      <td>{f.label}</td>
                      {["edit", "read", "none"].map((lvl) => (
                        <td>
                          <input
                            type="radio"
                            name={`fa-${f.name}`}
                            aria-label={`${f.label} ${lvl}`}
                            checked={cur === lvl}
                            onChange={() => {
                              const p = perm(open);
                              const fields = { ...(p.fields ?? {}), [f.name]: lvl };
                              if (lvl === "edit") delete fields[f.name];
                              setPerm(open, { ...p, fields });
                            }}
                          />
                        </td>
                      ))}
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </div>
      )}
      <ErrorBox error={err} />
      {objects.data && objects.data.length === 0 && <Empty title="No objects to grant">Create objects first.</Empty>}
      <div class="row end">
        <button type="button" class="primary" onClick={save}>
          Save role
        </button>
      </div>
    </div>
  );
}
