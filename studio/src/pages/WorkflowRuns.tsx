// Workflow runs: the run history of a workflow (GET /workflows/{name}/runs,
// newest first) with the name of each run's record, and the runs of one
// record (GET /records/{object}/{id}/workflow-runs) shown on its page.
// Both show outcome, duration, attempts and the errors of the run and its
// actions. The history refreshes itself every few seconds while the page is
// open, so a run shows up soon after its trigger; a record's runs refresh
// while one of them is not finished.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, loadSession, qs } from "../api";
import { getObject, nameField } from "../meta";
import { base } from "../router";
import { Empty, ErrorBox, Spinner } from "../ui";

interface ActionRun {
  type: string;
  status: string;
  detail?: string;
  error?: string;
  at?: string;
}

/** Run is one run of a workflow (objects/workflows.Run). */
export interface Run {
  id: string;
  workflow: string;
  workflowVersion: number;
  trigger: string;
  object?: string;
  record?: string;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  actions: ActionRun[];
}

/** duration says how long a run took, or has been running. */
export function duration(from: string, to?: string): string {
  const a = Date.parse(from);
  const b = to ? Date.parse(to) : Date.now();
  if (isNaN(a) || isNaN(b)) return "";
  const ms = Math.max(0, b - a);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const outcome: Record<string, string> = { succeeded: "Succeeded", failed: "Failed", running: "Running", deferred: "Waiting for business hours" };
const finished = (r: Run) => r.status !== "running";

/** recordKey names a record across objects in the name cache. */
const recordKey = (object: string, id: string) => `${object}/${id}`;

/**
 * recordNames reads the names of the records the runs point at: one list
 * call per object, restricted to those ids and to the name field (fields=).
 * A record that is not found (deleted, or hidden from the caller) gets no
 * name and is shown by its id.
 */
export async function recordNames(runs: Run[], known: Record<string, string>): Promise<Record<string, string>> {
  const byObject = new Map<string, Set<string>>();
  for (const r of runs) {
    if (!r.object || !r.record || recordKey(r.object, r.record) in known) continue;
    if (!byObject.has(r.object)) byObject.set(r.object, new Set());
    byObject.get(r.object)!.add(r.record);
  }
  const out: Record<string, string> = {};
  await Promise.all(
    [...byObject].map(async ([object, ids]) => {
      const o = await getObject(object).catch(() => null);
      const nf = o ? nameField(o) : "";
      const list = [...ids];
      for (let i = 0; i < list.length; i += 100) {
        const chunk = list.slice(i, i + 100);
        for (const id of chunk) out[recordKey(object, id)] = "";
        if (!nf || nf === "id") continue;
        const filter = `id IN (${chunk.map((id) => `'${id.replace(/'/g, "''")}'`).join(", ")})`;
        try {
          const page = await api.get<{ items: any[] }>(`/records/${encodeURIComponent(object)}${qs({ filter, fields: nf, limit: chunk.length })}`);
          for (const rec of page.items ?? []) if (rec[nf] !== undefined && rec[nf] !== null) out[recordKey(object, rec.id)] = String(rec[nf]);
        } catch {
          /* names are a convenience: the ids stay shown */
        }
      }
    }),
  );
  return out;
}

/** RunsTable lists runs; the record column or the workflow column is shown. */
function RunsTable(props: { runs: Run[]; show: "record" | "workflow"; names?: Record<string, string>; labels?: Record<string, string> }) {
  const admin = loadSession()?.user?.roles?.includes("admin") ?? false;
  return (
    <table class="grid responsive" aria-label="Runs">
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">{props.show === "record" ? "Record" : "Workflow"}</th>
          <th scope="col">Trigger</th>
          <th scope="col">Outcome</th>
          <th scope="col">Duration</th>
          <th scope="col">Attempts</th>
          <th scope="col">Actions and errors</th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map((r) => {
          const name = r.object && r.record ? props.names?.[recordKey(r.object, r.record)] : undefined;
          const label = props.labels?.[r.workflow] || r.workflow;
          return (
            <tr data-run={r.status}>
              <td data-label="Started">{new Date(r.startedAt).toLocaleString()}</td>
              {props.show === "record" ? (
                <td data-label="Record">{r.object && r.record ? <a href={`${base}/o/${r.object}/${r.record}`}>{name || r.record}</a> : "—"}</td>
              ) : (
                <td data-label="Workflow">{admin ? <a href={`${base}/automation/workflows/${encodeURIComponent(r.workflow)}?tab=runs`}>{label}</a> : label}</td>
              )}
              <td data-label="Trigger">
                {r.trigger} <span class="muted">v{r.workflowVersion}</span>
              </td>
              <td data-label="Outcome">
                <span class={`badge run-${r.status}`}>{outcome[r.status] ?? r.status}</span>
              </td>
              <td data-label="Duration">{duration(r.startedAt, r.finishedAt)}</td>
              <td data-label="Attempts">{r.attempts}</td>
              <td data-label="Actions and errors">
                <ol class="run-actions">
                  {r.actions.map((a) => (
                    <li>
                      {a.type}: {a.status}
                      {a.detail ? <span class="muted"> — {a.detail}</span> : null}
                      {a.error ? <span class="error"> — {a.error}</span> : null}
                    </li>
                  ))}
                </ol>
                {r.error && <p class="error">{r.error}</p>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function WorkflowRuns(props: { name: string; label: string }) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api.get<{ items: Run[] }>(`/workflows/${encodeURIComponent(props.name)}/runs?limit=50`).then(
      (r) => live && (setRuns(r.items ?? []), setError(null)),
      (e) => live && setError(e),
    );
    const t = setTimeout(() => setTick((x) => x + 1), 2500);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [props.name, tick]);
  // Names of records not seen yet; those known stay (a refresh every few
  // seconds must not read them again).
  useEffect(() => {
    if (!runs) return;
    let live = true;
    recordNames(runs, names).then((found) => live && Object.keys(found).length > 0 && setNames((n) => ({ ...n, ...found })));
    return () => {
      live = false;
    };
  }, [runs]);

  return (
    <div>
      <div class="page-head">
        <h1>Runs of {props.label}</h1>
        <button type="button" onClick={() => setTick((x) => x + 1)}>
          Refresh
        </button>
      </div>
      <ErrorBox error={error} />
      {!runs && !error && <Spinner label="Loading the runs…" />}
      {runs && runs.length === 0 && (
        <Empty title="No runs yet">
          <p>A run appears here when a record change (or the time) triggers the workflow and its condition holds. This list refreshes by itself.</p>
        </Empty>
      )}
      {runs && runs.length > 0 && <RunsTable runs={runs} show="record" names={names} />}
    </div>
  );
}

/**
 * RecordRuns is the section of a record page listing the workflow runs the
 * record triggered, newest first. version is the record's: a change of the
 * record (which may trigger workflows) reads the runs again.
 */
export function RecordRuns(props: { object: string; id: string; version: number }) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  // A change of the record may start runs a moment later: the runs are read
  // again for a few seconds after it, and while one is unfinished.
  const changed = useRef(0);
  useEffect(() => {
    changed.current = Date.now();
  }, [props.object, props.id, props.version]);
  useEffect(() => {
    let live = true;
    let t: ReturnType<typeof setTimeout> | undefined;
    api.get<{ items: Run[] }>(`/records/${encodeURIComponent(props.object)}/${encodeURIComponent(props.id)}/workflow-runs?limit=20`).then(
      (r) => {
        if (!live) return;
        const items = r.items ?? [];
        setRuns(items);
        setError(null);
        if (items.some((x) => !finished(x)) || Date.now() - changed.current < 6000) t = setTimeout(() => setTick((x) => x + 1), 2000);
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [props.object, props.id, props.version, tick]);
  // Workflow labels for admins (others see the workflow's API name).
  useEffect(() => {
    if (!loadSession()?.user?.roles?.includes("admin")) return;
    api.get<{ items: Array<{ name: string; definition?: { label?: string } }> }>("/workflows").then(
      (r) => setLabels(Object.fromEntries((r.items ?? []).map((w) => [w.name, w.definition?.label || w.name]))),
      () => {},
    );
  }, []);
  return (
    <section class="section" aria-labelledby="record-runs">
      <div class="page-head">
        <h2 id="record-runs">Workflow runs</h2>
        <button type="button" onClick={() => setTick((x) => x + 1)}>
          Refresh runs
        </button>
      </div>
      <ErrorBox error={error} />
      {!runs && !error && <Spinner label="Loading the workflow runs…" />}
      {runs && runs.length === 0 && <p class="muted">No workflow has run for this record yet. Runs appear here when a change of the record triggers an active workflow.</p>}
      {runs && runs.length > 0 && <RunsTable runs={runs} show="workflow" labels={labels} />}
    </section>
  );
}
