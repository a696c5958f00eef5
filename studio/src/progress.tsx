// Progress of long work the server runs in the background (CSV imports,
// metadata migrations): a labelled progress bar and a hook that polls the
// job's URL until it is no longer running.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";

/** ProgressBar is an accessible bar; value and max are counts of items. */
export function ProgressBar(props: { label: string; value: number; max: number; done?: boolean }) {
  const max = Math.max(props.max, 0);
  const pct = max > 0 ? Math.min(100, Math.round((props.value / max) * 100)) : props.done ? 100 : 0;
  return (
    <div class="progress-wrap">
      <div
        class="progress"
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={`${pct} % (${props.value} of ${max})`}
        data-done={props.done ? "true" : undefined}
      >
        <div style={{ width: `${pct}%` }} />
      </div>
      <small class="muted">
        {props.value.toLocaleString()} of {max.toLocaleString()} · {pct} %
      </small>
    </div>
  );
}

export interface JobState {
  status: string;
  [k: string]: any;
}

/**
 * usePoll fetches path every interval while the job it names is running and
 * returns its latest state; error holds a failed poll (polling stops).
 */
export function usePoll<T extends JobState>(path: string | null, first: T | null, interval = 400): { job: T | null; error: unknown } {
  const [job, setJob] = useState<T | null>(first);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setJob(first);
    setError(null);
    if (!path) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const j = await api.get<T>(path);
        if (!live) return;
        setJob(j);
        if (j.status === "running") timer = setTimeout(tick, interval);
      } catch (e) {
        if (live) setError(e);
      }
    };
    timer = setTimeout(tick, first && first.status !== "running" ? 0 : interval);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path]);
  return { job, error };
}

/** statusText turns a job status into words for people. */
export function statusText(s: string): string {
  switch (s) {
    case "running":
      return "Running…";
    case "done":
      return "Done";
    case "failed":
      return "Failed";
    case "interrupted":
      return "Interrupted (the server stopped)";
    default:
      return s;
  }
}

/** Migration is a background metadata change (GET /migrations/{id}). */
export interface Migration extends JobState {
  id: string;
  object: string;
  total: number;
  done: number;
  failed: number;
  examples?: Array<{ id?: string; field?: string; value?: unknown; message?: string }>;
  message?: string;
}

/**
 * MigrationView shows a metadata change that the server answered with 202
 * (src/migrations.tsx follows it): a bar until the migration ends, then
 * its result; error is a failed poll.
 */
export function MigrationView(props: { m: Migration; error?: unknown }) {
  const { m, error } = props;
  return (
    <div class="card" aria-live="polite" data-migration={m.status}>
      <p>
        <strong>Converting the records of {m.object}:</strong> {statusText(m.status)}
      </p>
      <ProgressBar label="Migration progress" value={m.done} max={m.total} done={m.status === "done"} />
      {m.failed > 0 && <p class="error">{m.failed.toLocaleString()} records do not convert.</p>}
      {m.message && <p class={m.status === "done" ? "muted" : "error"}>{m.message}</p>}
      {m.examples && m.examples.length > 0 && (
        <ul>
          {m.examples.map((x) => (
            <li>
              {x.id ? <code>{x.id}</code> : null} {x.field ? `${x.field}: ` : ""}
              {x.message ?? JSON.stringify(x.value)}
            </li>
          ))}
        </ul>
      )}
      {error ? <p class="error">The progress cannot be read: {String((error as Error).message ?? error)}</p> : null}
    </div>
  );
}
