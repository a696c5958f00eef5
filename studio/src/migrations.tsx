// Metadata migrations followed by the whole studio, not by one page: a
// change the server answered with 202 runs as a job, and the studio polls
// it here until it ends, whichever page is open. Its dialog can be closed
// while the job runs; a small indicator in the header then shows the
// progress and reopens the dialog, until the user has seen the result.
// Pages that show the migrated object learn of the end with
// onMigrationFinished. The state lives in this module (one migration at a
// time, the last one started), like the toast's.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { forgetObject } from "./meta";
import { MigrationView, type Migration } from "./progress";
import { Modal, toast } from "./ui";

interface State {
  /** m is the migration followed, null when none. */
  m: Migration | null;
  /** open says whether its dialog is shown. */
  open: boolean;
  /** error is a failed poll (polling stops). */
  error: unknown;
}

let state: State = { m: null, open: false, error: null };
const watchers = new Set<() => void>();
const finishers = new Set<(m: Migration) => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

function emit(next: Partial<State>) {
  state = { ...state, ...next };
  for (const f of watchers) f();
}

/** pollInterval is how often a running migration is read. */
const pollInterval = 400;

function poll(id: string) {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    try {
      const m = await api.get<Migration>(`/migrations/${encodeURIComponent(id)}`);
      if (state.m?.id !== id) return;
      emit({ m });
      if (m.status === "running") poll(id);
      else finished(m);
    } catch (e) {
      if (state.m?.id === id) emit({ error: e });
    }
  }, pollInterval);
}

function finished(m: Migration) {
  forgetObject(m.object);
  for (const f of finishers) f(m);
  toast(m.status === "done" ? `The change of ${m.object} is applied to every record` : `The change of ${m.object} was not applied; the object keeps its old definition`);
}

/** followMigration starts following a migration and opens its dialog. */
export function followMigration(m: Migration) {
  clearTimeout(timer);
  emit({ m, open: true, error: null });
  if (m.status === "running") poll(m.id);
  else finished(m);
}

/**
 * showMigration opens or closes the dialog. Closing it while the job runs
 * leaves the job and its polling going; closing it after the end forgets
 * the migration.
 */
export function showMigration(open: boolean) {
  if (!open && state.m && state.m.status !== "running") emit({ m: null, open: false, error: null });
  else emit({ open });
}

/** onMigrationFinished calls f when a followed migration ends; it returns the unsubscribe. */
export function onMigrationFinished(f: (m: Migration) => void): () => void {
  finishers.add(f);
  return () => finishers.delete(f);
}

function useMigrationState(): State {
  const [, setTick] = useState(0);
  useEffect(() => {
    const f = () => setTick((x) => x + 1);
    watchers.add(f);
    return () => {
      watchers.delete(f);
    };
  }, []);
  return state;
}

/** MigrationDialog is the dialog of the followed migration, when open. */
export function MigrationDialog() {
  const { m, open, error } = useMigrationState();
  if (!m || !open) return null;
  const running = m.status === "running";
  return (
    <Modal title="Converting records" onClose={() => showMigration(false)}>
      <MigrationView m={m} error={error} />
      {running ? (
        <div class="row end">
          <small class="muted grow">You may close this: the change goes on, and the header shows its progress.</small>
          <button type="button" onClick={() => showMigration(false)}>
            Continue in the background
          </button>
        </div>
      ) : (
        <div class="row end">
          <button type="button" class="primary" onClick={() => showMigration(false)}>
            Close
          </button>
        </div>
      )}
    </Modal>
  );
}

/**
 * MigrationIndicator is the header's reminder of a migration whose dialog
 * is closed: its progress while it runs, then its outcome until seen.
 */
export function MigrationIndicator() {
  const { m, open } = useMigrationState();
  if (!m || open) return null;
  const pct = m.total > 0 ? Math.min(100, Math.round((m.done / m.total) * 100)) : 0;
  const running = m.status === "running";
  // The long part is dropped at phone width.
  const [long, short] = running ? [`Converting ${m.object}: `, `${pct} %`] : m.status === "done" ? [`${m.object} `, "converted"] : [`Conversion of ${m.object} `, "failed"];
  return (
    <button type="button" class={`job-indicator job-${m.status}`} data-migration-indicator={m.status} onClick={() => showMigration(true)} title="Show the progress of the change">
      {running && <span class="spin" aria-hidden="true" />}
      <span>
        <span class="long">{long}</span>
        {short}
      </span>
      <span class="sr-only">: show the details</span>
    </button>
  );
}
