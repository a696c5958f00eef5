// The run history of a workflow (GET /workflows/{name}/runs, newest first):
// outcome, duration, attempts and the errors of the run and its actions.
// The list refreshes itself while runs are in progress and every few
// seconds while the page is open, so a run shows up soon after its trigger.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { base } from "../router";
import { Empty, ErrorBox, Spinner } from "../ui";

interface ActionRun {
  type: string;
  status: string;
  detail?: string;
  error?: string;
  at?: string;
}

interface Run {
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

export function WorkflowRuns(props: { name: string; label: string }) {
  const [runs, setRuns] = useState<Run[] | null>(null);
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
      {runs && runs.length > 0 && (
        <table class="grid responsive" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Record</th>
              <th scope="col">Trigger</th>
              <th scope="col">Outcome</th>
              <th scope="col">Duration</th>
              <th scope="col">Attempts</th>
              <th scope="col">Actions and errors</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr data-run={r.status}>
                <td data-label="Started">{new Date(r.startedAt).toLocaleString()}</td>
                <td data-label="Record">{r.object && r.record ? <a href={`${base}/o/${r.object}/${r.record}`}>{r.record}</a> : "—"}</td>
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
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
