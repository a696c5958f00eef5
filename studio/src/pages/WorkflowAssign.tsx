// The form of the assignOwner action (objects/workflows): a default group
// taken in turn (round robin), rules whose first true condition picks
// another group, a cap of open records per user and the wait for the
// tenant's business hours. Each input shows the API's 422 error that
// points at it (/actions/{i}/users, /rules/{j}/when, /rules/{j}/users,
// /maxOpen, /openFilter).
import { api } from "../api";
import { base } from "../router";
import { useAsync } from "../ui";
import { Labelled, type Action } from "./WorkflowActions";

interface UserItem {
  id: string;
  name?: string;
  email: string;
  active?: boolean;
}

interface Hours {
  timeZone: string;
  businessHours: { days: number[]; start: string; end: string };
}

const dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** describeHours says the tenant's business hours in a few words. */
export function describeHours(h: Hours | undefined): string {
  if (!h) return "the tenant's business hours";
  const b = h.businessHours;
  const days = (b.days ?? []).slice().sort((x, y) => x - y).map((d) => dayNames[d] ?? String(d));
  return `${days.join(", ") || "no day"} ${b.start}–${b.end} (${h.timeZone})`;
}

/** assignAction builds the action the API stores: empty settings are left out. */
export function assignAction(a: Action): Action {
  const out: Action = { type: "assignOwner" };
  if (a.rules?.length) out.rules = a.rules;
  if (a.users?.length) out.users = a.users;
  if (a.maxOpen) {
    out.maxOpen = a.maxOpen;
    if (a.openFilter) out.openFilter = a.openFilter;
  }
  if (a.businessHours) out.businessHours = true;
  return out;
}

/** UserPicks is a labelled group of checkboxes, one per active user. */
function UserPicks(props: { legend: string; users: UserItem[] | undefined; value: string[]; error?: string; id: string; onChange: (v: string[]) => void }) {
  const cur = props.value;
  const known = new Set((props.users ?? []).map((u) => u.id));
  const shown: UserItem[] = [...(props.users ?? []).filter((u) => u.active !== false || cur.includes(u.id)), ...cur.filter((x) => !known.has(x)).map((id) => ({ id, email: id }))];
  return (
    <fieldset class={"field" + (props.error ? " invalid" : "")} aria-describedby={props.error ? `${props.id}-err` : undefined}>
      <legend>{props.legend}</legend>
      {props.users && shown.length === 0 && (
        <p class="muted">
          No active user yet: add people under <a href={`${base}/security/users`}>Users</a>.
        </p>
      )}
      <div class="row">
        {shown.map((u) => (
          <label class="row">
            <input
              type="checkbox"
              checked={cur.includes(u.id)}
              onChange={(e) => props.onChange((e.target as HTMLInputElement).checked ? [...cur, u.id] : cur.filter((x) => x !== u.id))}
            />{" "}
            {u.name || u.email}
          </label>
        ))}
      </div>
      {props.error && (
        <small class="error" role="alert" id={`${props.id}-err`}>
          {props.error}
        </small>
      )}
    </fieldset>
  );
}

export function AssignOwner(props: { id: (x: string) => string; a: Action; err: (x: string) => string | undefined; onChange: (a: Action) => void }) {
  const { a } = props;
  const users = useAsync(() => api.get<{ items: UserItem[] }>("/users").then((r) => r.items ?? []), []);
  const hours = useAsync(() => api.get<Hours>("/workflow-settings"), []);
  const rules: Array<{ when: string; users: string[] }> = a.rules ?? [];
  const set = (patch: Partial<Action>) => props.onChange(assignAction({ ...a, ...patch }));
  const setRule = (j: number, patch: Partial<{ when: string; users: string[] }>) => set({ rules: rules.map((r, k) => (k === j ? { ...r, ...patch } : r)) });
  const capped = (a.maxOpen ?? 0) > 0;
  return (
    <div class="assign">
      <p class="muted">
        The record's new owner is the next user of a group, taken in turn (round robin). Rules are tried in order: the first whose condition holds picks its group;
        when none holds, the default group is used.
      </p>
      <fieldset class="field">
        <legend>Rules</legend>
        {rules.length === 0 && <p class="muted">No rule: every record goes to the default group.</p>}
        {rules.map((r, j) => (
          <div class="card rule" data-rule={j}>
            <div class="row">
              <strong class="grow">Rule {j + 1}</strong>
              <button type="button" class="link" aria-label={`Move rule ${j + 1} up`} disabled={j === 0} onClick={() => set({ rules: swap(rules, j, j - 1) })}>
                ↑
              </button>
              <button type="button" class="link" aria-label={`Move rule ${j + 1} down`} disabled={j === rules.length - 1} onClick={() => set({ rules: swap(rules, j, j + 1) })}>
                ↓
              </button>
              <button type="button" class="link" aria-label={`Remove rule ${j + 1}`} onClick={() => set({ rules: rules.filter((_, k) => k !== j) })}>
                ✕
              </button>
            </div>
            <Labelled id={props.id(`rule-${j}-when`)} label={`Condition of rule ${j + 1}`} error={props.err(`/rules/${j}/when`)} help="A formula over the record, e.g. region = 'EMEA' or amount > 10000.">
              <input id={props.id(`rule-${j}-when`)} value={r.when} onInput={(e) => setRule(j, { when: (e.target as HTMLInputElement).value })} />
            </Labelled>
            <UserPicks
              id={props.id(`rule-${j}-users`)}
              legend={`Group of rule ${j + 1}`}
              users={users.data}
              value={r.users ?? []}
              error={props.err(`/rules/${j}/users`)}
              onChange={(v) => setRule(j, { users: v })}
            />
          </div>
        ))}
        <div class="row">
          <button type="button" onClick={() => set({ rules: [...rules, { when: "", users: [] }] })}>
            Add rule
          </button>
        </div>
      </fieldset>
      <UserPicks
        id={props.id("users")}
        legend={rules.length ? "Default group (when no rule holds)" : "Group (round robin)"}
        users={users.data}
        value={a.users ?? []}
        error={props.err("/users")}
        onChange={(v) => set({ users: v })}
      />
      <div class="cols2">
        <Labelled
          id={props.id("maxOpen")}
          label="Cap of open records per user"
          error={props.err("/maxOpen")}
          help="A user who already owns this many open records is skipped. 0: no cap."
        >
          <input
            id={props.id("maxOpen")}
            type="number"
            min={0}
            step={1}
            value={a.maxOpen ?? 0}
            onInput={(e) => {
              const v = (e.target as HTMLInputElement).value;
              set({ maxOpen: v === "" ? 0 : Number(v) });
            }}
          />
        </Labelled>
        <Labelled
          id={props.id("openFilter")}
          label="Open records are"
          error={props.err("/openFilter")}
          help={capped ? "A filter in the list view language, e.g. status != 'closed'. Empty: every record of the object counts." : "Set a cap first."}
        >
          <input id={props.id("openFilter")} value={a.openFilter ?? ""} disabled={!capped} placeholder="status != 'closed'" onInput={(e) => set({ openFilter: (e.target as HTMLInputElement).value })} />
        </Labelled>
      </div>
      <div class={"field" + (props.err("/businessHours") ? " invalid" : "")}>
        <label class="row">
          <input type="checkbox" checked={!!a.businessHours} onChange={(e) => set({ businessHours: (e.target as HTMLInputElement).checked })} /> Assign only during business hours
        </label>
        <small class="help">
          Outside {describeHours(hours.data)} the assignment waits for the next opening. The hours are the tenant's automation settings.
        </small>
      </div>
    </div>
  );
}

function swap<T>(xs: T[], i: number, j: number): T[] {
  if (j < 0 || j >= xs.length) return xs;
  const out = [...xs];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}
